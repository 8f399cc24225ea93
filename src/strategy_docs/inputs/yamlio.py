"""Safe YAML reading that remembers where each value was written.

Errors are only useful to an analyst if they point at a line, so we compose the node tree
ourselves (safe loader only: no object-construction tags) and keep a map from field path to
line number alongside the plain data.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from strategy_docs.errors import Problem
from strategy_docs.inputs.data import clean_text

Path_ = tuple[str | int, ...]

# libyaml's safe loader when present (several times faster); never a loader that builds objects.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineMap:
    """Field path -> 1-based line number, for pointing errors at the right place."""

    def __init__(self, lines: dict[Path_, int] | None = None):
        self.lines = lines or {}

    def line_for(self, path: Path_) -> int | None:
        # Walk up to the nearest ancestor we know (a missing field has no line of its own).
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


MAX_VALUES = 100_000  # values in one file, counting every use of an alias (a YAML "billion laughs" is refused)
MAX_DEPTH = 40  # nesting levels; params files need fewer than ten


class _TooBig(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class _TooDeep(_TooBig):
    pass


# Plain scalars YAML 1.1 reads as something other than what was typed: `no`, `yes`, `on` (false,
# true, true), `1.10` (1.1), `007` (7), `010` (8, octal), `1:30` (90). Each is put back as the text
# written (_as_written), which the models then read as the field's type: text keeps "1.10", a number
# field reads 1.10 or 7, a yes/no field reads yes, and a number field given `yes` is an error.
_READ_AS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], file: str,
          budget: list[int] | None = None, seen_nodes: set[int] | None = None,
          written: dict[Path_, str] | None = None) -> None:
    # Only repeats count against the budget: values written out once are bounded by the file's size
    # (a plan with 10,000 intentions is fine), while aliases can multiply them without limit.
    budget = budget if budget is not None else [MAX_VALUES]
    seen_nodes = seen_nodes if seen_nodes is not None else set()
    if id(node) in seen_nodes:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooBig(f"holds more than {MAX_VALUES:,} values once its anchors and aliases are expanded")
    else:
        seen_nodes.add(id(node))
    if len(path) > MAX_DEPTH:
        raise _TooDeep(f"is nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
    lines.setdefault(path, node.start_mark.line + 1)
    if written is not None and isinstance(node, yaml.ScalarNode) and not node.style and node.tag in _READ_AS:
        written[path] = node.value
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        file=file,
                        line=line,
                        field=format_path(path + (key,)),
                        message=f"the key '{key}' appears twice (first on line {seen[key]}).",
                        fix="keep one of them; YAML would silently use the last.",
                    )
                )
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, file, budget, seen_nodes, written)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            _walk(item, path + (index,), lines, problems, file, budget, seen_nodes, written)


def _unconstructable_scalar(node: yaml.Node) -> tuple[yaml.ScalarNode, str] | None:
    """The first scalar the safe constructor cannot turn into a value (e.g. the date 2026-02-30)."""
    constructor = yaml.constructor.SafeConstructor()
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            try:
                constructor.construct_object(current)
            except Exception as exc:  # noqa: BLE001 - this is the scalar we are looking for
                return current, str(exc)
        elif isinstance(current, yaml.MappingNode):
            for key_node, value_node in reversed(current.value):
                stack.extend((value_node, key_node))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return None


def _nesting_beyond_limit(text: str) -> int | None:
    """The line where ``text`` first nests deeper than MAX_DEPTH, else None.

    libyaml refuses very deep nesting in words that change between releases ("exceeded maximum
    nesting depth" in PyYAML 6.0.4), so the reason is found here, from the event stream of the
    pure-Python parser, which keeps its own stack and does not recurse.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the document's own mapping is level 0, as in _walk
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _too_deep(display_name: str, line: int | None) -> Problem:
    return Problem(display_name, f"is nested more than {MAX_DEPTH} levels deep, which no parameters file needs.",
                   line=line, fix="check for unclosed brackets '[' or '{', or remove the extra nesting.")


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_yaml(path: Path, display_name: str) -> tuple[Any, LineMap, list[Problem]]:
    """Read one YAML file safely. Returns (data, line map, problems); data is None on failure."""
    problems: list[Problem] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, LineMap(), [Problem(display_name, f"cannot be read ({exc.strerror}).")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, LineMap(), [
            Problem(display_name, "is not a UTF-8 text file, so it cannot be YAML.",
                    fix="save it as UTF-8 text (in Excel use the Excel import instead).")
        ]
    if not text.strip():
        return None, LineMap(), [Problem(display_name, "is empty.", fix="add the required fields (see docs/params.md).")]
    node = None
    try:
        loader = _SAFE_LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        return None, LineMap(), [_too_deep(display_name, _nesting_beyond_limit(text))]
    except (ValueError, TypeError, OverflowError) as exc:
        # The safe constructor raises plain errors for values that look typed but are not,
        # most often an impossible date such as 2026-02-30.
        found = _unconstructable_scalar(node) if node is not None else None
        if found is None:
            return None, LineMap(), [Problem(display_name, f"is not valid YAML: {exc}.")]
        scalar, reason = found
        what = "a real date" if scalar.tag.endswith(":timestamp") else "a valid value"
        return None, LineMap(), [Problem(display_name, f"'{scalar.value}' is not {what} ({reason}).",
                                         line=scalar.start_mark.line + 1,
                                         fix="write dates as YYYY-MM-DD with a real month and day, or put the value in quotes.")]
    except yaml.MarkedYAMLError as exc:
        deep_line = _nesting_beyond_limit(text)
        if deep_line is not None:
            return None, LineMap(), [_too_deep(display_name, deep_line)]
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = (exc.problem or "is not valid YAML").strip()
        fix = "check indentation, colons and quotes on that line and the one before it."
        if "constructor" in what:
            fix = "remove the '!!' tag: parameters are plain values (text, numbers, lists), never objects."
        return None, LineMap(), [Problem(display_name, f"is not valid YAML: {what}.", line=line, fix=fix)]
    except yaml.YAMLError as exc:
        return None, LineMap(), [Problem(display_name, f"is not valid YAML: {exc}.")]
    lines: dict[Path_, int] = {}
    written: dict[Path_, str] = {}
    if node is not None:
        try:
            _walk(node, (), lines, problems, display_name, written=written)
        except RecursionError:
            return None, LineMap(), [_too_deep(display_name, _nesting_beyond_limit(text))]
        except _TooDeep as exc:
            return None, LineMap(), [_too_deep(display_name, exc.line)]
        except _TooBig as exc:
            return None, LineMap(), [Problem(display_name, f"{exc}, which no parameters file needs.",
                                             fix="remove repeated anchors (&name) and aliases (*name).")]
    line_map = LineMap(lines)
    data = _as_written(data, written)
    data = _clean_values(data, (), line_map, problems, display_name, set())
    return data, line_map, problems


def _as_written(data: Any, written: dict[Path_, str]) -> Any:
    """Each yes/no/on/off and each number whose value reads differently from what was typed (`1.10`,
    `007`) put back as the text typed; other numbers stay numbers."""
    for path, text in written.items():
        if not path:
            continue
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            value = parent[path[-1]]
        except (KeyError, IndexError, TypeError):  # a key that is not text (`1: x`): left as YAML read it
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue  # `.nan`, `.inf`: refused by _clean_values in its own words
        if isinstance(value, bool) or (isinstance(value, (int, float)) and _canonical(value) != text):
            parent[path[-1]] = text
    return data


def _canonical(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _clean_values(value: Any, path: Path_, lines: LineMap, problems: list[Problem], file: str, done: set[int]) -> Any:
    """Refuse numbers that are not finite (`.inf`, `.nan`) and text with control characters; turn a
    vertical tab or form feed (Word's line and page breaks) into a line break."""
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(Problem(file, f"{value!r} is not a number a strategy can state.", field=format_path(path),
                                line=lines.line_for(path), fix="write a finite number, or leave the field out."))
    elif isinstance(value, str):
        cleaned, control = clean_text(value)
        if control is not None:
            problems.append(Problem(file, f"the text holds the control character {control}.", field=format_path(path),
                                    line=lines.line_for(path), fix="delete it (it is invisible in most editors)."))
        return cleaned
    elif isinstance(value, (dict, list)) and id(value) not in done:
        done.add(id(value))  # an alias shares its value: clean it once
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in list(items):
            if isinstance(key, str) and clean_text(key)[1] is not None:
                problems.append(Problem(file, f"the key {key!r} holds a control character.", field=format_path(path + (key,)),
                                        line=lines.line_for(path + (key,)), fix="retype the key."))
            value[key] = _clean_values(item, path + (key,), lines, problems, file, done)
    return value
