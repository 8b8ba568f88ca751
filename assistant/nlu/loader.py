"""Read ``intents/*.yaml`` into a validated ``IntentSet``.

The only module of ``nlu`` that touches the disk. Every problem is reported
as ``file:line: what is wrong`` (an ``IntentFileError``), because the people
extending these files are not programmers and a traceback would not help.
YAML is read through ``yamlfile.compose`` (the project's one YAML parse) so that every value keeps its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..yamlfile import compose
from . import templates as tpl
from .intent_yaml import IntentFileError, mapping, require_mapping, scalars, strings, where_of
from .normalise import NormaliseRules
from .normalise_section import read_rules

CONTEXTS = ("idle", "ritual", "confirm", "name")
BUILTIN_SLOTS = frozenset({tpl.PARTNER, *tpl.FREE_SLOTS})
TOP_KEYS = ("lists", "slots", "intents", "normalise", "not_for_me")
INTENT_KEYS = ("context", "templates", "examples", "description", "not", "negation", "hear_text")
NEGATION = ("reject", "keep")  # may an intent's {text} start with "not"? (a promise *not* to be late: keep)
# Built-in word lists: <partners> (either name, filling no slot: "over to you Sam")
# and <any> (one word, filling no slot: "how's the savings goal going").
BUILTIN_LISTS = {"partners": tpl.Seq((tpl.Slot(tpl.PARTNER),)), "any": tpl.Seq((tpl.Slot(tpl.ANY),))}
EXPANSION_CAP = 2000  # per template: keeps start-up and fuzzy matching fast


@dataclass(frozen=True)
class Template:
    source: str
    node: tpl.Seq
    where: str  # "file.yaml:12"


@dataclass(frozen=True)
class Intent:
    name: str
    contexts: tuple[str, ...]
    templates: tuple[Template, ...]
    description: str = ""
    # more ways of saying it, for the generalising stage only: never matched
    # strictly, never in the recogniser's phrases
    examples: tuple[Template, ...] = ()
    # sentences that share its words but must never be it ("i promise you that's not true" is no promise):
    # one that fits a whole utterance rules this intent out at every stage; another intent may still answer
    exceptions: tuple[Template, ...] = ()
    # whether its {text} may start with "not" (a promise not to be late); other intents read "we didn't try
    # the new place" as nothing done
    keeps_negation: bool = False
    # the slot grammar its {text} is usually said in (a reminder's schedule): speech recognition hears
    # the free words with that grammar first, since a general dictation model garbles such short,
    # closed phrases ("every evening at eight" -> "granted today believe in a date"); matching ignores it
    hear_text: str | None = None

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(s for t in self.templates for s in tpl.slots_of(t.node))


@dataclass(frozen=True)
class IntentSet:
    intents: dict[str, Intent]
    lists: dict[str, tpl.Seq]
    slot_grammars: dict[str, tpl.Seq]  # "due" -> (alternatives)
    rules: NormaliseRules = field(default_factory=NormaliseRules)
    # context -> sentences that are not for Tandem though they share its words
    not_for_me: dict[str, tuple[Template, ...]] = field(default_factory=dict)

    def in_context(self, context: str) -> list[Intent]:
        return [i for i in self.intents.values() if context in i.contexts]


def load_intents(intents_dir: Path) -> IntentSet:
    """Load and validate every ``*.yaml`` in ``intents_dir`` (sorted by name)."""
    files = sorted(Path(intents_dir).glob("*.yaml"))
    if not files:
        raise IntentFileError(f"{intents_dir}: no intent files (*.yaml) found")
    builder = _Builder()
    for path in files:
        builder.add_file(path)
    return builder.build()


def loads(text: str, name: str = "<string>") -> IntentSet:
    """Load one YAML document (for tests)."""
    builder = _Builder()
    builder.add_text(text, name)
    return builder.build()


class _Builder:
    def __init__(self) -> None:
        self.intents: dict[str, tuple[str, yaml.MappingNode]] = {}
        self.lists: dict[str, tuple[str, yaml.Node]] = {}
        self.slots: dict[str, tuple[str, yaml.Node]] = {}
        self.normalise: list[tuple[str, yaml.MappingNode]] = []
        self.not_for_me: list[tuple[str, yaml.MappingNode]] = []

    # -- reading -------------------------------------------------------------

    def add_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise IntentFileError(f"{path}: cannot read: {exc}") from None
        self.add_text(text, path.name)

    def add_text(self, text: str, name: str) -> None:
        root = compose(text, name, IntentFileError)
        if root is None:
            return
        for key, value in mapping(root, name, "the file"):
            where = where_of(name, key)
            if key.value not in TOP_KEYS:
                raise IntentFileError(f"{where}: unknown section {key.value!r} (expected one of {', '.join(TOP_KEYS)})")
            if key.value == "normalise":
                self.normalise.append((name, require_mapping(value, name, "normalise")))
                continue
            if key.value == "not_for_me":
                self.not_for_me.append((name, require_mapping(value, name, "not_for_me")))
                continue
            sections: dict[str, dict[str, tuple[str, Any]]] = {
                "lists": self.lists,
                "slots": self.slots,
                "intents": self.intents,
            }
            target = sections[key.value]
            for item_key, item in mapping(value, name, key.value):
                label = {"lists": "word list", "slots": "slot", "intents": "intent"}[key.value]
                if item_key.value in target:
                    raise IntentFileError(
                        f"{where_of(name, item_key)}: duplicate {label} {item_key.value!r} "
                        f"(also at {target[item_key.value][0]})"
                    )
                target[item_key.value] = (where_of(name, item_key), item)

    # -- validating ----------------------------------------------------------

    def build(self) -> IntentSet:
        rules = read_rules(self.normalise)
        for name, (where, _) in self.slots.items():
            if name in BUILTIN_SLOTS:
                raise IntentFileError(f"{where}: slot {name!r} is built in and cannot be redefined")
        for name, (where, _) in self.lists.items():
            if name in BUILTIN_LISTS:
                raise IntentFileError(f"{where}: word list <{name}> is built in and cannot be redefined")
        lists = {name: self._alternatives(where, node, name) for name, (where, node) in self.lists.items()}
        grammars = {name: self._alternatives(where, node, name) for name, (where, node) in self.slots.items()}
        for name, seq in {**lists, **grammars}.items():
            where = (self.lists.get(name) or self.slots[name])[0]
            if tpl.slots_of(seq):
                raise IntentFileError(f"{where}: {name!r} cannot contain a {{slot}}")
            self._check_lists(seq, lists, where)
        self._check_cycles(lists)
        lists.update(BUILTIN_LISTS)
        intents: dict[str, Intent] = {}
        for name, (where, node) in self.intents.items():
            intents[name] = self._intent(name, where, node, lists, grammars)
        if not intents:
            raise IntentFileError("no intents defined in the intent files")
        not_for_me: dict[str, list[Template]] = {}
        for file, node in self.not_for_me:
            for key, value in mapping(node, file, "not_for_me"):
                if key.value not in CONTEXTS:
                    raise IntentFileError(
                        f"{where_of(file, key)}: unknown context {key.value!r} in not_for_me "
                        f"(expected one of {', '.join(CONTEXTS)})"
                    )
                not_for_me.setdefault(key.value, []).extend(
                    self._templates(value, file, f"not_for_me.{key.value}", lists, grammars, repeat_text=True))
        return IntentSet(intents=intents, lists=lists, slot_grammars=grammars, rules=rules,
                         not_for_me={c: tuple(t) for c, t in not_for_me.items()})

    def _intent(
        self, name: str, where: str, node: yaml.Node, lists: dict[str, tpl.Seq], grammars: dict[str, tpl.Seq]
    ) -> Intent:
        fields = {k.value: (k, v) for k, v in mapping(node, where.split(":")[0], f"intent {name!r}")}
        for key, (knode, _) in fields.items():
            if key not in INTENT_KEYS:
                raise IntentFileError(
                    f"{where_of(where.split(':')[0], knode)}: unknown key {key!r} in intent {name!r} "
                    f"(expected {', '.join(INTENT_KEYS)})"
                )
        file = where.split(":")[0]
        if "context" not in fields:
            raise IntentFileError(f"{where}: intent {name!r} has no context (one of {', '.join(CONTEXTS)})")
        if "templates" not in fields:
            raise IntentFileError(f"{where}: intent {name!r} has no templates")
        cnode = fields["context"][1]
        contexts = strings(cnode, file, "context")
        for c in contexts:
            if c not in CONTEXTS:
                raise IntentFileError(
                    f"{where_of(file, cnode)}: unknown context {c!r} (expected one of {', '.join(CONTEXTS)})"
                )
        tnode = fields["templates"][1]
        out = self._templates(tnode, file, f"templates of {name!r}", lists, grammars)
        examples: list[Template] = []
        if "examples" in fields:
            examples = self._templates(fields["examples"][1], file, f"examples of {name!r}", lists, grammars)
        exceptions: list[Template] = []
        if "not" in fields:
            exceptions = self._templates(fields["not"][1], file, f"not of {name!r}", lists, grammars, repeat_text=True)
            own = {" ".join(t.source.split()) for t in out}
            for t in exceptions:
                if " ".join(t.source.split()) in own:
                    raise IntentFileError(f"{t.where}: {t.source!r} is both a template and a 'not' of {name!r}")
        keeps_negation = False
        if "negation" in fields:
            nnode = fields["negation"][1]
            value = str(nnode.value) if isinstance(nnode, yaml.ScalarNode) else ""
            if value not in NEGATION:
                raise IntentFileError(
                    f"{where_of(file, nnode)}: negation of {name!r} must be one of {', '.join(NEGATION)}, not {value!r}"
                )
            keeps_negation = value == "keep"
        hear_text = self._hear_text(name, fields, file, grammars, out)
        desc = fields.get("description", (None, None))[1]
        return Intent(
            name,
            tuple(contexts),
            tuple(out),
            str(desc.value) if isinstance(desc, yaml.ScalarNode) else "",
            tuple(examples),
            tuple(exceptions),
            keeps_negation,
            hear_text,
        )

    @staticmethod
    def _hear_text(name: str, fields: dict[str, tuple[yaml.ScalarNode, yaml.Node]], file: str,
                   grammars: dict[str, tpl.Seq], templates: list[Template]) -> str | None:
        if "hear_text" not in fields:
            return None
        hnode = fields["hear_text"][1]
        value = str(hnode.value) if isinstance(hnode, yaml.ScalarNode) else ""
        if value not in grammars:
            raise IntentFileError(f"{where_of(file, hnode)}: hear_text of {name!r} must name a slot grammar "
                                  f"(one of {', '.join(sorted(grammars))}), not {value!r}")
        if not any(tpl.FREE_SLOTS & set(tpl.slots_of(t.node)) for t in templates):
            raise IntentFileError(f"{where_of(file, hnode)}: hear_text of {name!r} needs a template with {{text}}")
        return value

    def _templates(self, node: yaml.Node, file: str, what: str, lists: dict[str, tpl.Seq], grammars: dict[str, tpl.Seq],
                   repeat_text: bool = False) -> list[Template]:
        """A non-empty YAML list of templates, each checked (slots, word lists) with its line.

        ``repeat_text``: ``{text}`` may appear more than once (``not_for_me`` and an intent's ``not``:
        "we tried {text} but {text}").
        """
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise IntentFileError(f"{where_of(file, node)}: {what} must be a non-empty list")
        out = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                raise IntentFileError(f"{where_of(file, item)}: a template must be one line of text")
            iwhere = where_of(file, item)
            try:
                seq = tpl.parse(str(item.value))
            except tpl.TemplateError as exc:
                raise IntentFileError(f"{iwhere}: {exc}") from None
            for slot in tpl.slots_of(seq):
                if slot not in BUILTIN_SLOTS and slot not in grammars:
                    known = ", ".join(sorted(BUILTIN_SLOTS | set(grammars)))
                    raise IntentFileError(f"{iwhere}: unknown slot {{{slot}}} (known slots: {known})")
            counted = [s for s in tpl.slots_of(seq) if not (repeat_text and s in tpl.FREE_SLOTS)]
            if len(set(counted)) != len(counted):
                raise IntentFileError(f"{iwhere}: a slot appears twice in one template")
            self._check_lists(seq, lists, iwhere)
            out.append(Template(str(item.value), seq, iwhere))
        return out

    def _alternatives(self, where: str, node: yaml.Node, name: str) -> tpl.Seq:
        """A word list or slot grammar: a list of templates, any one of which."""
        file = where.split(":")[0]
        options = []
        for item in scalars(node, file, repr(name), kind="a list of words or phrases"):
            try:
                options.append(tpl.parse(str(item.value)))
            except tpl.TemplateError as exc:
                raise IntentFileError(f"{where_of(file, item)}: {exc}") from None
        if not options:
            raise IntentFileError(f"{where}: {name!r} is empty")
        return tpl.Seq((tpl.Alt(tuple(options)),))

    def _check_lists(self, seq: tpl.Seq, lists: dict[str, tpl.Seq], where: str) -> None:
        for ref in tpl.lists_of(seq):
            if ref not in lists and ref not in BUILTIN_LISTS:
                raise IntentFileError(
                    f"{where}: unknown word list <{ref}>" + (f" (known: {', '.join(sorted(lists))})" if lists else "")
                )

    def _check_cycles(self, lists: dict[str, tpl.Seq]) -> None:
        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in path:
                raise IntentFileError(
                    f"{self.lists[name][0]}: word list <{name}> refers to itself ({' -> '.join((*path, name))})"
                )
            for ref in tpl.lists_of(lists[name]):
                if ref not in BUILTIN_LISTS:
                    visit(ref, (*path, name))

        for name in lists:
            visit(name, ())
