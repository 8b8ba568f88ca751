"""A YAML file read so that every mapping and list knows its lines: checks can say ``file:line: what is wrong``.

The one YAML reader for the project's data files: exercise scripts, banks, phrases, replies, reminder wordings,
the capitals and experiences lists, and (through ``compose``, whose nodes it walks itself) the intent files. Mappings
come back as ``LDict`` (``.line``, ``.key_lines``), lists as ``LList`` (``.line``, ``.item_lines``); keys must be
words, a key given twice is an error (plain YAML keeps the last silently), and a YAML 1.1 ``yes:``/``no:`` key
stays the word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LDict(dict):  # type: ignore[type-arg]
    """A mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LList(list):  # type: ignore[type-arg]
    line: int = 0
    item_lines: list[int]


def load_yaml(path: Path, error: type[Exception]) -> Any:
    """Parse ``path`` keeping line numbers; ``error("file:line: ...")`` on a file that cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    return parse_yaml(text, str(path), error)


def parse_yaml(text: str, name: str, error: type[Exception]) -> Any:
    """``text`` (from the file called ``name``) as ``LDict``/``LList``/plain values, lines kept."""
    node = compose(text, name, error)
    if node is None:
        return None
    return _build(node, yaml.SafeLoader(""), Path(name), error)


def compose(text: str, name: str, error: type[Exception]) -> yaml.Node | None:
    """The YAML node tree of ``text``, each node with its line; ``error("name:line: not valid YAML: ...")``.

    The one place YAML text is parsed (the intent loader walks these nodes itself; everything else gets
    ``LDict``/``LList``). An unclosed bracket or quote is only noticed at the end of the file, so the message
    also says where it began.
    """
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and start.line + 1 != line and context != problem:
            problem += f" ({context} at line {start.line + 1})"
        raise error(f"{name}:{line}: not valid YAML: {problem}") from None


def _build(node: yaml.Node, constructor: yaml.SafeLoader, path: Path, error: type[Exception]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.key_lines = line, {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if isinstance(key, bool):  # YAML 1.1 reads a "yes:" branch key as True
                key = "yes" if key else "no"
            if not isinstance(key, str):
                raise error(f"{path}:{key_node.start_mark.line + 1}: keys must be words, not {key!r}")
            if key in out:
                raise error(f"{path}:{key_node.start_mark.line + 1}: '{key}' is given twice")
            out[key] = _build(value_node, constructor, path, error)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        items = LList()
        items.line, items.item_lines = line, []
        for child in node.value:
            items.append(_build(child, constructor, path, error))
            items.item_lines.append(child.start_mark.line + 1)
        return items
    return constructor.construct_object(node, deep=True)
