"""What a word sounds like, for the recogniser's homophones and near-homophones.

A recogniser writes a word it heard right in a spelling that means something
else ("pores" for *pause*, "lauder" for *louder*, "psalm" for *Sam*). Listing
every such slip (``normalise.yaml``'s ``canonical``) cannot keep up, so the
matcher also compares rough *sound keys* of spellings:

* ``sound_key`` -- English spelling rules folded away (silent letters,
  ``ph``, ``ck``, a final silent ``e`` that lengthens the vowel before it, an
  ``r`` that is not sounded before a consonant, an unsounded ``t`` closing a
  cluster), doubled letters single, and vowels as a few sound classes.
  Homophones share it: "pores", "pours", "paws" and "pause"; "guessed" and
  "guest"; "necks" and "next"; "psalm" and "Sam" (but not "same" or "some").
  The matcher corrects an unknown word to a known one with the same key
  (and reads a partner's name by it, only when nothing was meant as heard).

It is a pure function of the spelling, cheap enough to compute per word.

``Neighbours`` reads, from the templates themselves, which words come right
before and after a given word; the matcher uses it to read a heard word as
another one only where the templates' word pairs say so ("promises *two*
paint" is "promises to paint", "in two weeks" stays two).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from . import templates as tpl
from .edges import PARTNER_TOKEN, TEXT, Edges, EdgeWalker, single

_VOWELS = frozenset("aeiouy")

# spelling -> sound, in order (a rule sees the result of the ones before it)
_INITIAL = (("ps", "s"), ("pn", "n"), ("kn", "n"), ("gn", "n"), ("wr", "r"), ("wh", "w"), ("x", "z"), ("gh", "g"))
_CLUSTERS = (
    ("tch", "ch"),
    ("dge", "j"),
    ("dg", "j"),
    ("tion", "shn"),
    ("sion", "shn"),
    ("sch", "sk"),
    ("ph", "f"),
    ("igh", "I"),
    ("gh", ""),
    ("ck", "k"),
    ("qu", "kw"),
    ("q", "k"),
    ("alm", "am"),
    ("alk", "ak"),
    ("olk", "ok"),
)
_FINAL = (("mb", "m"), ("mn", "m"), ("ng", "n"))  # "thumb", "autumn"; "checking" as heard: "checkin"
_SOFT_C = re.compile(r"c(?=[eiy])")
_SILENT_GU = re.compile(r"^gu(?=[eiy])")  # "guess", "guest" (not "argue")
_DIGRAPH = {"ch": "C", "sh": "S", "th": "T"}
# spellings of one sound ("c" is "k", "z" and "s" are often the same sound: "re zoom" / "resume"); voiced and
# voiceless pairs stay apart ("town" is not "down", "offer" not "over")
_VOICE = str.maketrans({"z": "s", "c": "k", "x": "ks", "q": "k"})


def _spelling(word: str) -> str:
    """Spelling rules common to both keys: silent letters, digraphs, the final silent e."""
    w = "".join(ch for ch in word.lower() if ch.isalpha())
    if not w:
        return ""
    for spelled, sound in _INITIAL:
        if w.startswith(spelled) and len(w) > len(spelled):
            w = sound + w[len(spelled):]
            break
    w = _SILENT_GU.sub("g", w)
    for spelled, sound in _CLUSTERS:
        w = w.replace(spelled, sound)
    for spelled, sound in _FINAL:
        if w.endswith(spelled) and len(w) > len(spelled) + 1:
            w = w[: -len(spelled)] + sound
    w = _SOFT_C.sub("s", w)
    # a final silent e ("pause", "shore"), also before a plural or past ending ("pores", "paused")
    if len(w) > 3 and _SILENT_E.search(w) and _ANY_VOWEL.search(w[:-2]):
        w = _FINAL_E.sub(lambda m: m.group(1) or "", w)
    return w


_SILENT_E = re.compile(r"[^aeiouy]e(s|d)?$")
_ANY_VOWEL = re.compile(r"[aeiouy]")
_FINAL_E = re.compile(r"e(s|d)?$")
_MAGIC_E = re.compile(r"([aeiouy])([^aeiouy])e(s|d)?$")
_TWO_VOWELS_E = re.compile(r"[aeiouy]{2}[^aeiouy]e(s|d)?$")
_PAST_T = re.compile(r"(?<=[skpfxh])d$")
_DOUBLE = re.compile(r"(.)\1+")
_CLUSTER_T = re.compile(r"(?<=[^aeiouAEIOUWRH3])([ks])t$")


# vowel spellings -> a vowel sound class, longest first ("pores" and "pause" share /aw/; "close" is not "class")
_VOWEL_SOUNDS = (
    ("our", "R"), ("ore", "R"), ("oar", "R"), ("aw", "R"), ("au", "R"), ("or", "R"),
    ("ee", "E"), ("ea", "E"), ("ie", "E"), ("ey", "E"), ("ei", "A"), ("ai", "A"), ("ay", "A"),
    ("oa", "O"), ("oe", "O"), ("oo", "U"), ("ew", "U"), ("ue", "U"), ("ui", "U"), ("ou", "W"), ("ow", "W"),
    ("igh", "I"), ("ar", "H"), ("er", "3"), ("ir", "3"), ("ur", "3"),
)
_MAGIC = {"a": "A", "e": "E", "i": "I", "o": "O", "u": "U", "y": "I"}  # a vowel before consonant + silent e
_VOWEL_BY_FIRST: dict[str, tuple[tuple[str, str], ...]] = {}
for _spelled, _sound in _VOWEL_SOUNDS:
    _VOWEL_BY_FIRST[_spelled[0]] = (*_VOWEL_BY_FIRST.get(_spelled[0], ()), (_spelled, _sound))


def sound_key(word: str) -> str:
    """A rough key of how ``word`` sounds: silent letters and spelling variants folded away, vowels kept as
    a few sound classes. Homophones share it: "pores", "pours", "paws" and "pause" -> "pRs"; "guessed" and
    "guest" -> "gest"; "necks" and "next" -> "neks"; "class" and "close", "town" and "down" do not."""
    raw = "".join(ch for ch in word.lower() if ch.isalpha())
    if not raw:
        return ""
    magic = _MAGIC_E.search(raw)
    w = _spelling(word)
    w = _PAST_T.sub("t", w)  # a past "-ed" after a voiceless sound: "guessed" is "guest"
    if magic and magic.group(2) != "r" and len(raw) > 3 and not _TWO_VOWELS_E.search(raw):
        # "shore", "same": the silent e made the vowel before it long
        k = w.rfind(magic.group(1), 0, max(1, len(w) - len(magic.group(3) or "") - 0))
        if k >= 0:
            w = w[:k] + _MAGIC[magic.group(1)] + w[k + 1:]
    out: list[str] = []
    i = 0
    while i < len(w):
        for spelled, sound in _VOWEL_BY_FIRST.get(w[i], ()):
            if w.startswith(spelled, i) and not (
                spelled.endswith("r") and i + len(spelled) < len(w) and w[i + len(spelled)] in _VOWELS
            ):
                out.append(sound)
                i += len(spelled)
                break
        else:
            pair = w[i : i + 2]
            if pair in _DIGRAPH:
                out.append(_DIGRAPH[pair])
                i += 2
                continue
            ch = w[i]
            if ch == "y":
                out.append("y" if i == 0 else ("E" if i == len(w) - 1 else "i"))
            elif ch in "h" and i > 0:
                pass  # "oh", "sahm"
            elif ch == "r" and i > 0 and w[i - 1] in _VOWELS and (i + 1 == len(w) or w[i + 1] not in _VOWELS):
                pass  # not sounded after a vowel before a consonant or at the end ("pores", "louder")
            elif ch in _VOWELS:
                out.append(ch)
            else:
                out.append(ch.translate(_VOICE))
            i += 1
    key = _DOUBLE.sub(r"\1", "".join(out))
    # an unsounded t closing a consonant cluster ("next" as heard: "necks"), and a past "-ed" after a
    # voiceless sound is a "t" ("guessed" / "guest")
    key = _CLUSTER_T.sub(r"\1", key)
    return key


# -- which words the templates put next to a word ------------------------------

START, END = "^", "$"


class Neighbours(EdgeWalker):
    """For each word of ``targets``: the tokens that come right before it and right after it in the templates.

    ``canon`` splits a template word into canonical tokens ("let's" -> "let", "us"); a ``{text}``
    is ``TEXT`` (any words), a name ``@p``, a slot grammar is walked like a word list.
    """

    def __init__(self, targets: Iterable[str], lists: tpl.Lists, grammars: tpl.Lists,
                 canon: Callable[[str], list[str]], drop: frozenset[str]) -> None:
        super().__init__(lists, canon, drop)
        self.targets = frozenset(targets)
        self.grammars = grammars
        self.before: dict[str, set[str]] = {t: set() for t in self.targets}
        self.after: dict[str, set[str]] = {t: set() for t in self.targets}

    def add(self, node: tpl.Node) -> None:
        self.walk(tpl.Seq((tpl.Word(START), node, tpl.Word(END))))

    def word(self, text: str) -> Edges:
        return single(text) if text in (START, END) else super().word(text)

    def slot(self, name: str) -> Edges:
        if name in tpl.FREE_SLOTS or name == tpl.ANY:
            return single(TEXT)
        if name == tpl.PARTNER:
            return single(PARTNER_TOKEN)
        return self.named(f"slot:{name}", self.grammars.get(name))

    def pair(self, lasts: frozenset[str], firsts: frozenset[str]) -> None:
        for t in self.targets & firsts:
            self.before[t] |= lasts
        for t in self.targets & lasts:
            self.after[t] |= firsts
