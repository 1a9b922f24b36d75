"""Safe YAML loading for rule files: bounded size, depth and node count, no aliases, and a map
from every value's path to its line so that problems can name the line they are on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from app.engine.problems import RuleProblem
from app.text import CONTROL_CHARACTERS

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 250_000
# The C parser when PyYAML has it (about 10x faster); both are safe loaders.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LoadedYaml:
    """A parsed document and the line of every value in it."""

    data: Any
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class YamlRejected(Exception):
    """The text is not an acceptable rule document."""

    def __init__(self, problem: RuleProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _screen_events(text: str, file: str, max_items: dict[str, int]) -> None:
    """Reject aliases, anchors, deep nesting, huge documents and over-long top-level lists
    (`max_items`: key → most items) before building anything."""
    depth = 0
    nodes = 0
    top_key: str | None = None  # the top-level key whose value is being read
    expect_key = False
    items = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlRejected(
                    RuleProblem(file, line, "anchors and aliases (&, *) are not allowed")
                )
            if depth == 1 and isinstance(event, yaml.NodeEvent):
                if expect_key:
                    top_key = event.value if isinstance(event, yaml.ScalarEvent) else None
                    items = 0
                expect_key = not expect_key
            elif depth == 2 and isinstance(event, yaml.NodeEvent) and top_key in max_items:
                items += 1
                if items > max_items[top_key]:
                    raise YamlRejected(
                        RuleProblem(
                            file,
                            line,
                            f"'{top_key}' holds more than {max_items[top_key]} items; "
                            "split it into several files",
                        )
                    )
            if isinstance(event, yaml.ScalarEvent) and CONTROL_CHARACTERS.search(event.value):
                raise YamlRejected(
                    RuleProblem(
                        file,
                        line,
                        "control characters (such as NUL, written \\0 or \\x00) are not "
                        "allowed in rule text",
                    )
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth == 1:
                    expect_key = True
                if depth > MAX_DEPTH:
                    raise YamlRejected(
                        RuleProblem(file, line, f"nesting deeper than {MAX_DEPTH} levels")
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    raise YamlRejected(
                        RuleProblem(file, line, f"more than {MAX_NODES} YAML values in one file")
                    )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlRejected(RuleProblem(file, line, f"invalid YAML: {exc.problem}")) from exc
    except yaml.YAMLError as exc:
        raise YamlRejected(RuleProblem(file, None, f"invalid YAML: {exc}")) from exc


def _index(node: yaml.Node, path: Path, lines: dict[Path, int], file: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise YamlRejected(
                    RuleProblem(file, key_node.start_mark.line + 1, "mapping keys must be text")
                )
            if key in seen:
                raise YamlRejected(
                    RuleProblem(file, key_node.start_mark.line + 1, f"duplicate key '{key}'")
                )
            seen.add(key)
            _index(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), lines, file)


def load_yaml(text: str | bytes, file: str, max_items: dict[str, int] | None = None) -> LoadedYaml:
    """Parse one rule document safely; raises `YamlRejected` naming the file and line."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_FILE_BYTES:
        raise YamlRejected(
            RuleProblem(file, None, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlRejected(RuleProblem(file, None, "file is not valid UTF-8")) from exc
    _screen_events(text, file, max_items or {})
    try:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return LoadedYaml(None, {})
            lines: dict[Path, int] = {}
            _index(node, (), lines, file)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlRejected(RuleProblem(file, line, f"invalid YAML: {exc.problem}")) from exc
    except yaml.YAMLError as exc:
        raise YamlRejected(RuleProblem(file, None, f"invalid YAML: {exc}")) from exc
    return LoadedYaml(data, lines)
