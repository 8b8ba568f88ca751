"""Command-mode phrases for a speech recogniser, made from a context's templates."""

from __future__ import annotations

from . import templates as tpl
from .compiler import Compiler
from .layers import intent_names, layer_key

PHRASE_CAP = 4000  # per context: recognisers slow down with huge phrase lists
_TEXT_MARK = "\x00"  # where a dictated {text} starts in a phrase


def phrases(compiler: Compiler, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> list[str]:
    """Lower-case word sequences, at most ``PHRASE_CAP``.

    Partner names are spelled out; a free ``{text}`` is cut off so that the
    trigger words ("log a promise that sam will") constrain and the rest is
    dictated. Each intent gets an equal share, each template a sample that
    always holds its plainest and favours its commonest wording.
    """
    intents = compiler.intents
    names = intent_names(intents, *layer_key(context, in_exercise, can_resume))
    share = max(1, PHRASE_CAP // max(1, len(names)))

    def phrase_slot(name: str) -> tpl.Node | None:
        """What a slot becomes in a phrase: the names, the slot's grammar, or the dictation mark."""
        if name == tpl.PARTNER:
            return tpl.ListRef("partners") if compiler.partners else None
        if name in tpl.FREE_SLOTS:
            return tpl.Slot(name)  # expanded to the mark, then cut
        return tpl.ListRef(f"slot:{name}")

    out: dict[str, None] = {}
    for name in names:
        templates = intents.intents[name].templates
        for order, template in enumerate(templates):
            node = tpl.substitute(template.node, phrase_slot)
            if node is None:
                continue
            for sentence in tpl.sample(
                node, compiler.lists, lambda s: _TEXT_MARK, max(1, share // len(templates)), seed=order
            ):
                phrase = " ".join(w for w in sentence.split(_TEXT_MARK)[0].split() if w not in intents.rules.drop)
                if phrase:
                    out.setdefault(phrase, None)
    return list(out)[:PHRASE_CAP]
