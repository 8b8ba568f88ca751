"""Experiences: the catalogue, a varied picker, and the log of what was done."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from assistant.features import experiences as ex
from assistant.features.export import export_all
from assistant.features.forget import last_logged

from .feature_ctx import make_ctx, said

FIXTURE = """
activities:
  - {id: pottery, text: take a pottery class, cost: medium, energy: medium, seasons: [any]}
  - {id: stars, text: watch the stars from a hill, cost: free, energy: low, seasons: [summer, autumn]}
  - {id: skate, text: go ice skating, cost: low, energy: high, seasons: [winter]}
  - {id: cook, text: cook a dish from a new country, cost: low, energy: low, seasons: [any]}
  - {id: museum, text: visit a museum you have never been to, cost: low, energy: low, seasons: [any]}
  - {id: swim, text: swim in the sea at sunrise, cost: free, energy: high, seasons: [summer]}
  - {id: dance, text: take a dance lesson, cost: medium, energy: high, seasons: [any]}
  - {id: market, text: explore a market in another town, cost: low, energy: medium,
     seasons: [spring, summer, autumn, winter]}
  - {id: picnic, text: have a picnic somewhere new, cost: free, energy: low, seasons: [spring, summer]}
  - {id: volunteer, text: volunteer together for a morning, cost: free, energy: medium, seasons: [any]}
"""


@pytest.fixture
def catalogue(tmp_path: Path) -> list[ex.Activity]:
    path = tmp_path / "experiences.yaml"
    path.write_text(FIXTURE)
    return ex.load_catalogue(path)


def test_load_catalogue(catalogue) -> None:
    assert len(catalogue) == 10 and catalogue[1] == ex.Activity("stars", "watch the stars from a hill", "free", "low",
                                                                ("summer", "autumn"))


@pytest.mark.parametrize("text, needle", [
    ("activities: []", "non-empty"),
    ("activities: [{id: a}]", "needs an id and a text"),
    ("activities: [{id: a, text: b, cost: cheap}]", "cost must be"),
    ("activities: [{id: a, text: b}, {id: a, text: c}]", "twice"),
    ("activities: [", "not valid YAML"),
])
def test_bad_catalogues_fail_in_one_line(tmp_path, text, needle) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ex.CatalogueError) as err:
        ex.load_catalogue(path)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_seasons() -> None:
    assert ex.season_of(date(2026, 12, 2), "Europe/Lisbon") == "winter"
    assert ex.season_of(date(2026, 12, 2), "Australia/Sydney") == "summer"
    assert ex.season_of(date(2026, 7, 2)) == "summer"


def test_pick_is_in_season_and_does_not_repeat_recent_suggestions(store, clock, catalogue) -> None:
    rng = random.Random(7)
    picked = []
    for _ in range(6):
        act = ex.pick(store, clock, catalogue, rng)
        ex.record_suggested(store, clock, act.text)
        clock.advance(3600)
        picked.append(act.id)
    assert len(set(picked)) == 6  # no repeats within the window
    assert not {"stars", "swim", "picnic"} & set(picked)  # December in Lisbon: winter


def test_pick_skips_done_unless_asked(store, clock, catalogue) -> None:
    winter = [a for a in catalogue if "any" in a.seasons or "winter" in a.seasons]
    for act in winter[:-1]:
        ex.log_done(store, clock, act.text)
    rng = random.Random(1)
    assert {ex.pick(store, clock, catalogue, rng).id for _ in range(20)} == {winter[-1].id}
    assert len({ex.pick(store, clock, catalogue, rng, include_done=True).id for _ in range(40)}) > 1


def test_pick_falls_back_rather_than_failing(store, clock, catalogue) -> None:
    for act in catalogue:
        ex.log_done(store, clock, act.text)
        ex.record_suggested(store, clock, act.text)
    assert ex.pick(store, clock, catalogue, random.Random(0)) in catalogue


def test_pick_is_varied(store, clock, catalogue) -> None:
    counts = Counter(ex.pick(store, clock, catalogue, random.Random(n)).id for n in range(200))
    assert len(counts) == 7


def test_suggest_then_log_completes_the_same_record(store, clock) -> None:
    s = ex.record_suggested(store, clock, "take a pottery class")
    clock.advance(3 * 24 * 3600)
    done = ex.log_done(store, clock, "Take a pottery  class")
    assert done["id"] == s["id"]
    (rec,) = export_all(store)["experiences"]
    assert rec == {"id": s["id"], "text": "take a pottery class", "suggested": "2026-12-02T19:00:00+00:00",
                   "done": "2026-12-05T19:00:00+00:00"}
    assert ex.last_done(store)["id"] == s["id"]
    assert last_logged(store)[0] == "experiences"


def test_experience_log_handler(store, clock, profile, settings) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    ex.handle_log(ctx, said("experience.log", text="a pottery class"))
    ex.handle_log(ctx, said("experience.log", text="went to the night market"))
    assert speaker.said == ["Lovely! I've noted that you tried a pottery class.",
                            "Lovely! I've noted that you went to the night market."]
    assert [r["suggested"] for r in store.all("experiences")] == [None, None]
    assert ex.last_done(store)["text"] == "went to the night market"


def test_an_experience_keeps_the_capitals_of_places(store, clock, profile, settings) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    ex.handle_log(ctx, said("experience.log", text="a cooking class in lisbon with sam's sister"))
    assert speaker.said == ["Lovely! I've noted that you tried a cooking class in Lisbon with Sam's sister."]
    assert ex.last_done(store)["text"] == "a cooking class in Lisbon with Sam's sister"


def test_complete_fills_in_the_agreed_suggestion_and_says_when_there_is_none(store, clock) -> None:
    s = ex.record_suggested(store, clock, "a picnic")
    clock.advance(3600)
    assert ex.complete(store, clock, s["id"]) is True
    assert store.get("experiences", s["id"])["done"] == "2026-12-02T20:00:00+00:00"
    assert ex.complete(store, clock, "no-such-id") is False
    assert len(store.all("experiences")) == 1  # completing never adds a record


def test_latest_pending_is_the_newest_agreed_suggestion_not_done_within_a_month(store, clock) -> None:
    old = ex.record_suggested(store, clock, "a long walk")
    clock.advance(40 * 24 * 3600)
    assert ex.latest_pending(store, clock) is None  # agreed on too long ago to bring up as still to do
    first = ex.record_suggested(store, clock, "a picnic")
    clock.advance(60)
    second = ex.record_suggested(store, clock, "stargazing")
    assert ex.latest_pending(store, clock)["id"] == second["id"]
    ex.complete(store, clock, second["id"])
    assert ex.latest_pending(store, clock)["id"] == first["id"]
    assert old["id"] not in {first["id"], second["id"]}
