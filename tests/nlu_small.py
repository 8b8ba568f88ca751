"""A small catalogue for testing the understanding stages one at a time (tests/test_nlu_stage_*.py)."""

from __future__ import annotations

from assistant.nlu.grammar import Grammar
from assistant.nlu.loader import loads
from assistant.nlu.match import Reading

SMALL = """\
intents:
  gratitude.start:
    context: idle
    templates:
      - "start [our] gratitude moment"
      - "let's do [our] gratitude moment"
    examples:
      - "kick off the thankfulness thing"
      - "time for some thanks together"
  ritual.stop:
    context: ritual
    templates:
      - "stop the exercise"
      - "not so loud"
  turn.pass:
    context: ritual
    templates:
      - "pass it over to {partner}"
      - "over to {partner}"
  experience.log:
    context: idle
    templates:
      - "we tried {text}"
    not:
      - "we tried the (shops | bank) [{text}]"
  privacy.off:
    context: idle
    templates:
      - "switch privacy off"
  cancel:
    context: idle
    templates:
      - "never mind"
not_for_me:
  idle:
    - "we tried {text} but {text}"
  ritual:
    - "the kids are being {text}"
normalise:
  lead: [okay so, so]
  trail: [please, thanks]
  droppable: [the, a, our]
  canonical:
    let's: [lets]
  contextual:
    to: [two, too]
    off: [of]
  aside:
    - we're
    - because
"""

PARTNERS = ("Alex", "Sam")
_grammar: Grammar | None = None


def grammar() -> Grammar:
    """The small catalogue compiled once per test session (stages keep no state between readings)."""
    global _grammar
    if _grammar is None:
        _grammar = Grammar.build(loads(SMALL, "small.yaml"), PARTNERS)
    return _grammar


def reading(text: str, context: str = "idle") -> Reading:
    g = grammar()
    return g.reading(g.tokens(text), context)
