"""A command with free words, heard twice: the command decode's trigger, the dictation's free words.

"Sam promises to call the plumber by friday": the command grammar knows
"sam promises to" but not the plumber, which comes out as look-alike
command words ("called up louder by frightens"); the dictation decode hears
"call the plumber by friday" well but often not the name ("some promises
to"). ``splice`` joins the two: the command's words before its free slot,
then the dictated words from where that trigger ends, found by aligning the
two word sequences.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def _find(words: list[str], part: list[str]) -> int | None:
    """Where ``part`` starts as a run of ``words`` (the last such place), or None."""
    for i in range(len(words) - len(part), -1, -1):
        if words[i:i + len(part)] == part:
            return i
    return None


def trigger(command: str, slot_text: str) -> list[str]:
    """The command's words before its free slot ("sam promises to" of "sam promises to call ...")."""
    cmd, slot = command.split(), slot_text.split()
    start = _find(cmd, slot) if slot else None
    return cmd[:start] if start is not None else cmd[:max(0, len(cmd) - len(slot))]


def splice(command: str, slot_text: str, dictated: str) -> str:
    """The command's trigger words followed by the dictated free words (see the module text)."""
    cmd, said = command.split(), dictated.split()
    if not cmd or not said:
        return dictated or command
    trigger_words = trigger(command, slot_text)
    if not trigger_words:
        return dictated
    # Where the trigger ends in the dictation: after the last dictated word that lines up with one of it.
    blocks = SequenceMatcher(a=trigger_words, b=said, autojunk=False).get_matching_blocks()
    ends = [b.b + b.size for b in blocks if b.size and b.a + b.size <= len(trigger_words)]
    if ends:
        cut = max(ends)
    else:  # nothing lines up: assume the trigger took the same share of the dictation
        cut = round(len(trigger_words) * len(said) / len(cmd))
    tail = said[cut:]
    return " ".join(trigger_words + tail) if tail else command
