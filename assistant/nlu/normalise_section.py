"""The ``normalise:`` sections of the intents files read into ``NormaliseRules`` (``file:line`` errors)."""

from __future__ import annotations

import yaml

from .intent_yaml import IntentFileError, mapping, strings, where_of
from .normalise import NormaliseRules, words

NORMALISE_KEYS = ("drop", "lead", "trail", "optional", "droppable", "canonical", "contextual", "aside")


def read_rules(sections: list[tuple[str, yaml.MappingNode]]) -> NormaliseRules:
    """The ``normalise:`` sections of the intents files (file, node) as one ``NormaliseRules``."""
    drop: set[str] = set()
    lead: list[tuple[str, ...]] = []
    trail: list[tuple[str, ...]] = []
    optional: set[str] = set()
    droppable: set[str] = set()
    canonical: dict[tuple[str, ...], str] = {}
    contextual: dict[str, tuple[str, str]] = {}  # heard -> (target, where)
    aside: list[tuple[str, ...]] = []
    for file, node in sections:
        for key, value in mapping(node, file, "normalise"):
            if key.value not in NORMALISE_KEYS:
                raise IntentFileError(
                    f"{where_of(file, key)}: unknown key {key.value!r} in normalise "
                    f"(expected {', '.join(NORMALISE_KEYS)})"
                )
            if key.value == "canonical":
                for ckey, variants in mapping(value, file, "canonical"):
                    target = " ".join(words(str(ckey.value)))
                    for variant in strings(variants, file, "canonical"):
                        heard = tuple(words(variant))
                        if not heard:
                            raise IntentFileError(f"{where_of(file, variants)}: empty variant of {target!r}")
                        if heard in canonical and canonical[heard] != target:
                            raise IntentFileError(
                                f"{where_of(file, variants)}: {variant!r} is already a variant of "
                                f"{canonical[heard]!r}"
                            )
                        canonical[heard] = target
                continue
            if key.value == "contextual":
                for ckey, variants in mapping(value, file, "contextual"):
                    word = words(str(ckey.value))
                    if len(word) != 1:
                        raise IntentFileError(
                            f"{where_of(file, ckey)}: a contextual word must be one word, not {ckey.value!r}"
                        )
                    for variant in strings(variants, file, "contextual"):
                        one = words(variant)
                        if len(one) != 1 or one == word:
                            raise IntentFileError(
                                f"{where_of(file, variants)}: {variant!r} must be one word other than {word[0]!r}"
                            )
                        if one[0] in contextual and contextual[one[0]][0] != word[0]:
                            raise IntentFileError(
                                f"{where_of(file, variants)}: {variant!r} is already a contextual variant of "
                                f"{contextual[one[0]][0]!r} (at {contextual[one[0]][1]})"
                            )
                        contextual[one[0]] = (word[0], where_of(file, variants))
                continue
            phrases = [tuple(words(s)) for s in strings(value, file, key.value)]
            if any(not p for p in phrases):
                raise IntentFileError(f"{where_of(file, value)}: empty entry in normalise.{key.value}")
            if key.value == "drop":
                drop.update(p[0] for p in phrases if len(p) == 1)
            elif key.value == "lead":
                lead.extend(phrases)
            elif key.value == "trail":
                trail.extend(phrases)
            elif key.value == "optional":
                optional.update(p[0] for p in phrases)
            elif key.value == "aside":
                aside.extend(phrases)
            else:
                droppable.update(p[0] for p in phrases)
    for alias, (_, where) in contextual.items():
        if (alias,) in canonical:
            raise IntentFileError(f"{where}: {alias!r} is already a canonical variant of {canonical[(alias,)]!r}")
    return NormaliseRules(
        frozenset(drop),
        tuple(lead),
        tuple(trail),
        frozenset(optional),
        frozenset(droppable),
        canonical,
        {h: t for h, (t, _) in contextual.items()},
        tuple(aside),
    )
