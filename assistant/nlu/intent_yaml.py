"""The YAML nodes of an intents file, read with their lines: every problem is ``file:line: what is wrong``."""

from __future__ import annotations

import yaml

from ..errors import TandemError


class IntentFileError(TandemError):
    """A problem in an intents file, as ``file:line: what is wrong``."""


def where_of(file: str, node: yaml.Node) -> str:
    return f"{file}:{node.start_mark.line + 1}"


def require_mapping(node: yaml.Node, file: str, what: str) -> yaml.MappingNode:
    if not isinstance(node, yaml.MappingNode):
        raise IntentFileError(f"{where_of(file, node)}: {what} must be a mapping of names to values")
    return node


def mapping(node: yaml.Node, file: str, what: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    node = require_mapping(node, file, what)
    seen: dict[str, int] = {}
    pairs = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise IntentFileError(f"{where_of(file, key)}: keys in {what} must be plain names")
        if key.value in seen:
            # plain YAML keeps the last duplicate silently; here it is always a mistake
            raise IntentFileError(
                f"{where_of(file, key)}: duplicate {key.value!r} in {what} (first at line {seen[key.value]})"
            )
        seen[key.value] = key.start_mark.line + 1
        pairs.append((key, value))
    return pairs


def scalars(node: yaml.Node, file: str, what: str, kind: str = "text or a list of texts") -> list[yaml.ScalarNode]:
    """The non-blank scalars of a one-item-or-list ``node``, kept as nodes so later errors can name each one's line."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out: list[yaml.ScalarNode] = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            raise IntentFileError(f"{where_of(file, item)}: {what} must be {kind}, without empty entries")
        out.append(item)
    return out


def strings(node: yaml.Node, file: str, what: str) -> list[str]:
    return [str(item.value).strip() for item in scalars(node, file, what)]
