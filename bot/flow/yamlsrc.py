"""YAML reading that remembers line numbers, so every problem can be reported as `file:line`.

PyYAML's composed node tree carries positions; we convert it into dicts and lists that keep the
line of each key and item (`LineDict.line_of(key)`, `LineList.line_of(i)`).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.flow.errors import FlowError, FlowIssue


class LineDict(dict[str, Any]):
    """A mapping from YAML that knows the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of `key` (or of the mapping itself when the key is absent)."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence from YAML that knows the line it starts on and the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """The line of item `index`."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    """SafeLoader whose tree we convert ourselves (no arbitrary tags, no Python objects)."""


# Only true/false are booleans (as in YAML 1.2). YAML 1.1 also reads yes/no/on/off as booleans,
# which silently turned synonyms such as `es: [nadie, no]` into False; here they stay words.
_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _convert(node: yaml.Node, loader: _Loader, file: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float):
                line = key_node.start_mark.line + 1
                raise FlowError([FlowIssue(file, line, "a key must be a word")])
            skey = str(key).lower() if isinstance(key, bool) else str(key)
            if skey in result:
                raise FlowError(
                    [FlowIssue(file, key_node.start_mark.line + 1, f"duplicate key {skey!r}")]
                )
            result[skey] = _convert(value_node, loader, file)
            result.key_lines[skey] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.line = node.start_mark.line + 1
        items.item_lines = []
        for item in node.value:
            items.append(_convert(item, loader, file))
            items.item_lines.append(item.start_mark.line + 1)
        return items
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. a date that does not exist: 2027-02-30
        line = node.start_mark.line + 1
        raise FlowError([FlowIssue(file, line, f"invalid value {node.value!r}: {exc}")]) from None


def load_yaml(text: str, file: str) -> Any:
    """Parse `text` (the contents of `file`) into LineDict/LineList/scalars.

    Raises:
        FlowError: with `file:line` for syntax errors and duplicate keys.
    """
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # e.g. a control character: the reader refuses the file
        raise FlowError([FlowIssue(file, 1, f"YAML error: {exc}")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _convert(node, loader, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise FlowError([FlowIssue(file, line, f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise FlowError([FlowIssue(file, 1, f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
