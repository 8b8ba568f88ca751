"""Understanding the couple: intents as YAML templates, matched strictly then fuzzily.

Public API (other modules code against these names):

* ``load_intents(intents_dir) -> IntentSet`` (raises ``IntentFileError``: ``file:line: ...``)
* ``Matcher(intents, partners=None)`` with ``parse(text, context, *, in_exercise, can_resume) -> Parse``,
  ``phrases(context, ...)`` and ``jsgf(context, ...)`` for the recogniser.
"""

from .loader import CONTEXTS, Intent, IntentFileError, IntentSet, load_intents
from .matcher import Matcher, Parse

__all__ = ["CONTEXTS", "Intent", "IntentFileError", "IntentSet", "Matcher", "Parse", "load_intents"]
