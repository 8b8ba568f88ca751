"""What the recipe's voices say: everyday sentences, the wake phrase, and near-misses of it.

For "hey tandem" the near-misses are written by hand (the committed head was built from them). For any other
phrase they are made from the pronunciation dictionary in PocketSphinx's wheel: words one sound away from
each word of the phrase ("tandem" -> "random", "tendon"), a phrase word split into two ("ten men"), the
phrase's own words in other company, and the everyday fillers before them. A head learns the phrase only
against what nearly is the phrase.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

DEFAULT_PHRASE = "hey tandem"

SUBJECTS = ["i", "you", "we", "my sister", "your mother", "the kids", "our neighbour", "the boss", "tom", "anna",
            "the dog", "everyone at work", "my brother", "the doctor", "they", "she", "he", "dad", "grandma"]
VERBS = ["said", "thinks", "wants to know", "forgot", "remembered", "told me", "asked whether", "noticed",
         "wondered if", "promised", "mentioned", "decided", "heard", "believes"]
OBJECTS = ["the car needs new tyres", "dinner is at seven", "the garden looks lovely", "we should go camping",
           "the rent is due on friday", "the bakery closed early", "it might rain tomorrow", "the film was too long",
           "the heating is broken again", "we are out of coffee", "the meeting moved to monday",
           "the tickets sold out", "the baby finally slept", "the paint is still wet", "the train was delayed",
           "the soup needs more salt", "the cat is hiding under the bed", "the wifi keeps dropping",
           "we could visit the museum", "the holiday photos came back", "the plumber is coming at ten"]
QUESTIONS = ["what time is it", "where did you put the keys", "how was your day", "did you call the bank",
             "can you pass the bread", "shall we order pizza tonight", "who is picking up the kids",
             "have you seen my glasses", "when does the shop open", "why is the music so loud",
             "are we still meeting your parents", "what should we cook this weekend", "is the kettle on",
             "do you want tea or coffee", "how much was the electricity bill", "which film do you want to see"]
FILLERS = ["well", "so", "okay", "right", "you know", "honestly", "anyway", "actually", "hmm", "oh", "hey",
           "listen", "by the way", "look", "hey love", "hey there", "hey you", "say"]
NEAR_HEADS = ["hey", "hay", "hi", "say", "they", "a", "the", "okay", "play", "pay", "hey there", "hey a", "and",
              "hey the", "way", "hey hey", "weigh", "stay", "ey", "yay", "may", "hey you"]
NEAR_TAILS = ["tender", "tendon", "ten men", "hand them", "fandom", "random", "tandy", "tan them", "tandems",
              "tantrum", "ten dumb", "tanned him", "then them", "sandman", "handsome", "candor", "dan dumb",
              "standard", "tandoori", "tamed them", "ten them", "tan", "tandem bicycle", "tender moment",
              "tend them", "attend them", "tanning", "damn them", "tandem ride", "tan dan", "den them", "ransom",
              "handed them", "pandemic", "anthem", "lantern", "banter", "canter", "tempted", "tinder",
              "tandem jump", "tandem", "tandem partner", "ten ton", "tanner", "tend", "hannah", "atom",
              "candy man", "band them", "sandy", "landed", "fan them", "tandem kayak", "dental", "tenant"]
NEAR_SENTENCES = ["we rode a tandem bicycle", "the tandem was a gift", "they work in tandem", "a tandem skydive",
                  "hey ten men walked in", "say tandem three times", "hey hand them the plates",
                  "hey tender is the night", "they tandem together", "hey random question",
                  "the tendon in my knee hurts", "hey fandom is a strange word", "hey and then we left",
                  "tandem tandem", "hey tan them in the sun", "a tandem seat for two", "hey tandy, dinner is ready"]

# Said before the phrase's last word these ARE the wake phrase, not a near-miss.
HEY_SOUNDS = ("hey", "hay", "ey", "hey hey")
# What people say before a name, for a phrase of any words.
GENERIC_HEADS = ("say", "a", "the", "okay", "and", "hey", "hi", "oh", "so", "play", "they", "way", "hey you",
                 "hey there", "stay", "may")
GENERIC_SENTENCES = ("say {last} three times", "the {last} was a gift", "we talked about the {last} again",
                     "{last} {last}", "is the {last} ready", "{first} and then we left", "{first}, random question",
                     "i heard {alike} on the radio", "{alike} is a strange word", "{head} {alike} is the answer")


def sentences(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        k = rng.random()
        if k < 0.35:
            s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
        elif k < 0.6:
            s = rng.choice(QUESTIONS)
        elif k < 0.8:
            s = f"{rng.choice(FILLERS)}, {rng.choice(OBJECTS)}"
        else:
            s = f"{rng.choice(FILLERS)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(QUESTIONS)}"
        out.append(s)
    return out


def words_of(phrase: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", phrase.lower()).split()


@dataclass(frozen=True)
class PhraseTexts:
    """The wake phrase as the recipe writes it, and what nearly is it."""

    phrase: str
    variants: tuple[str, ...]  # how a positive is written (one drawn per phrase)
    heads: tuple[str, ...]  # what comes before a near tail
    tails: tuple[str, ...]  # what nearly is the phrase's end
    near_sentences: tuple[str, ...]
    same_heads: tuple[str, ...]  # heads that, before a tail starting with ``own_tail``, make the phrase itself
    own_tail: str

    def _tail_for(self, head: str, rng: random.Random) -> str:
        tail = rng.choice(self.tails)
        while self._is_phrase(head, tail):
            tail = rng.choice(self.tails)
        return tail

    def _is_phrase(self, head: str, tail: str) -> bool:
        # a one-word phrase is itself after any head ("say alexa" wakes as "alexa" does)
        return tail.startswith(self.own_tail) and (not self.same_heads or head.split()[-1] in self.same_heads)

    def near_misses(self, rng: random.Random, n: int) -> list[str]:
        out = []
        for _ in range(n):
            k = rng.random()
            if k < 0.7:
                head = rng.choice(self.heads)
                out.append(f"{head} {self._tail_for(head, rng)}")
            elif k < 0.85:
                out.append(rng.choice(self.near_sentences))
            else:
                filler = rng.choice(FILLERS)
                out.append(f"{filler} {self._tail_for(filler, rng)} {rng.choice(OBJECTS)}")
        return out


def phrase_texts(phrase: str) -> PhraseTexts:
    words = words_of(phrase)
    if not words:
        raise ValueError("a wake phrase needs at least one word")
    text = " ".join(words)
    if text == DEFAULT_PHRASE:  # the hand-written lists the committed head was built from
        return PhraseTexts(text, ("hey tandem", "hey tandem", "hey, tandem", "hey tandem!", "hey tandem?"),
                           tuple(NEAR_HEADS), tuple(NEAR_TAILS), tuple(NEAR_SENTENCES), HEY_SOUNDS, "tandem")
    *head_words, last = words
    head = " ".join(head_words)
    comma = f"{head}, {last}" if head else text
    variants = (text, text, comma, f"{text}!", f"{text}?")
    tails = [*dict.fromkeys([*sound_alikes(last), *split_alikes(last), f"{last}s", last])]
    if head_words:
        same = (head_words[-1], *[w for w in homophones(head_words[-1])])
        heads = [*GENERIC_HEADS, head, *[" ".join([*head_words[:i], a, *head_words[i + 1:]])
                                        for i, w in enumerate(head_words) for a in sound_alikes(w, 12)]]
    else:
        same, heads = (), list(GENERIC_HEADS)
    heads = [h for h in dict.fromkeys(heads) if h.split()[-1] not in same or h == head] or ["say"]
    rng = random.Random(text)
    alikes = [t for t in tails if not t.startswith(last)] or [last + "s"]
    sentences_ = [s.format(last=last, first=head_words[0] if head_words else "say",
                           alike=rng.choice(alikes), head=head or "oh") for s in GENERIC_SENTENCES]
    # a sentence that holds the phrase itself is a wake, not a near-miss
    sentences_ = [s for s in dict.fromkeys(sentences_) if text not in s] or [f"the {alikes[0]}"]
    return PhraseTexts(text, variants, tuple(heads), tuple(tails), tuple(sentences_), tuple(same), last)


# --- the pronunciation dictionary ----------------------------------------------------------

# Vowels a voice (or a listener) does not keep apart when unstressed, and the cot-caught merger: cmudict here
# has no stress marks, so "robbin" (IH) would be a near-miss of "robin" (AH), and a head would learn to reject
# the phrase itself. Taken as one sound, such words are homophones, never near-misses.
SAME_SOUND = {"IH": "AH", "UH": "AH", "EH": "AH", "AO": "AA"}


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, str], dict[str, list[str]]]:
    """cmudict from PocketSphinx's wheel: word -> its first pronunciation (one letter per sound, ``SAME_SOUND``
    merged), and back."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    letters: dict[str, str] = {}
    prons: dict[str, str] = {}
    by_sound: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        word, *phones = line.split()
        if "(" in word or not phones or not re.fullmatch(r"[a-z]+", word):
            continue
        pron = "".join(letters.setdefault(SAME_SOUND.get(p, p), chr(0x100 + len(letters))) for p in phones)
        prons[word] = pron
        by_sound.setdefault(pron, []).append(word)
    return prons, by_sound


def homophones(word: str) -> list[str]:
    prons, by_sound = _dictionary()
    return [w for w in by_sound.get(prons.get(word, ""), []) if w != word]


def sound_alikes(word: str, limit: int = 40) -> list[str]:
    """Up to ``limit`` words one sound away from ``word`` (never its homophones), a fixed sample; for a word the
    dictionary lacks, spellings one vowel or first letter away (espeak-ng reads any spelling)."""
    prons, by_sound = _dictionary()
    pron = prons.get(word)
    if pron is None:
        return _spelling_alikes(word, limit)
    found = extract(pron, list(by_sound), scorer=Levenshtein.distance, score_cutoff=1, limit=None)
    near = sorted(by_sound[p][0] for p, d, _ in found if d == 1)
    return random.Random(word).sample(near, min(limit, len(near)))


def split_alikes(word: str, limit: int = 10) -> list[str]:
    """``word`` heard as two words ("tandem" -> "tan them", "ten men"): a word that is its first sounds exactly,
    then one about a sound from the rest."""
    prons, by_sound = _dictionary()
    pron = prons.get(word)
    if pron is None or len(pron) < 4:
        return []
    out = []
    for k in range(2, len(pron) - 1):
        firsts = by_sound.get(pron[:k], [])
        if not firsts:
            continue
        found = extract(pron[k:], list(by_sound), scorer=Levenshtein.distance, score_cutoff=1, limit=None)
        seconds = sorted(by_sound[p][0] for p, d, _ in found if len(p) >= 2)
        out += [f"{firsts[0]} {s}" for s in seconds[:5]]
    return random.Random(word).sample(out, min(limit, len(out)))


def _spelling_alikes(word: str, limit: int) -> list[str]:
    vowels = "aeiou"
    out = {word[:i] + v + word[i + 1:] for i, c in enumerate(word) if c in vowels for v in vowels if v != c}
    out |= {c + word[1:] for c in "bdfghklmnprstvw" if c != word[0]}
    return random.Random(word).sample(sorted(out), min(limit, len(out)))


def own_lines(scripts_dir: Path, phrase: str = DEFAULT_PHRASE) -> list[str]:
    """Everything Tandem says, from its scripts (it must not wake itself)."""
    import yaml

    lines: list[str] = []

    def walk(x: object) -> None:
        if isinstance(x, str) and len(x.split()) >= 3:
            lines.append(re.sub(r"\{[^}]*\}", "Sam", x)[:300])
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for path in sorted(Path(scripts_dir).glob("*.yaml")):
        walk(yaml.safe_load(path.read_text()))
    # "tandem": the product's name in a line is no wake, but it is the default phrase's last word
    keep = [s for s in lines if "tandem" not in s.lower() and " ".join(words_of(phrase)) not in " ".join(words_of(s))]
    return keep or ["thank you both"]
