"""Understanding the couple: intents as YAML templates, read by an ordered pipeline of stages (pipeline.py).

Public API (other modules code against these names):

* ``load_intents(intents_dir) -> IntentSet`` (raises ``IntentFileError``: ``file:line: ...``)
* ``Matcher(intents, partners=None)`` with ``parse(text, context, *, in_exercise, can_resume) -> Parse``,
  ``phrases(context, ...)`` for the recogniser.
* ``SURE_SCORE``: from this score up a template explains what was heard (pipeline.py owns the bands).
"""

from .loader import CONTEXTS, Intent, IntentFileError, IntentSet, load_intents
from .matcher import Matcher, Parse
from .pipeline import SURE_SCORE

__all__ = ["CONTEXTS", "SURE_SCORE", "Intent", "IntentFileError", "IntentSet", "Matcher", "Parse", "load_intents"]
