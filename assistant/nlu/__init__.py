"""Understanding the couple: intents as YAML templates, read by an ordered pipeline of stages (pipeline.py).

Public API (other modules code against these names):

* ``load_intents(intents_dir) -> IntentSet`` (raises ``IntentFileError``: ``file:line: ...``)
* ``Matcher(intents, partners=None)`` with ``parse(text, context, *, in_exercise, can_resume) -> Parse``,
  ``phrases(context, ...)`` for the recogniser.
* ``SURE_SCORE``: from this score up a template explains what was heard (bands.py: the score bands).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .bands import SURE_SCORE

if TYPE_CHECKING:
    from .loader import CONTEXTS, Intent, IntentFileError, IntentSet, load_intents
    from .matcher import Matcher, Parse

__all__ = ["CONTEXTS", "SURE_SCORE", "Intent", "IntentFileError", "IntentSet", "Matcher", "Parse", "load_intents"]

# Loaded on first use (PEP 562): the dialogue reads the score bands through this package, and must not pay for
# the matcher's numpy and rapidfuzz in CLI commands that never parse.
_LAZY = {"CONTEXTS": ".loader", "Intent": ".loader", "IntentFileError": ".loader", "IntentSet": ".loader",
         "load_intents": ".loader", "Matcher": ".matcher", "Parse": ".matcher"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
