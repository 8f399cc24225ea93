"""The annual cycle: roll a workspace forward to the next edition.

``roll_forward(workspace)`` (the ``strategy-docs new-edition`` command) first archives the
current edition's parameters (and a snapshot of the data they were published with) into
``params/editions/<current-slug>/``, then moves every parameters file on one year:

* ``params/project.yaml``: ``edition.start_year`` + 1 and ``previous_edition: <old slug>``;
* every strategy file: a new version-history row (next major version), ``status: draft``,
  publication and valid-until dates a year later, each intention's ``cycle.current`` set to its
  old ``cycle.expected``, every risk flagged for review, and each indicator's ``baseline`` set
  to its latest value in ``data/<authority>/indicators.csv``.

Files are edited in place where possible (:class:`YamlDocument`): only the values that change
are rewritten, so comments, key order and the authors' layout survive and the version-control
diff shows exactly what moved. If a file is laid out in a way the in-place editor cannot
handle, it is written again in full with PyYAML (block style, key order kept, multi-line text as
``|`` blocks); either way the result is checked by reading it back. Nothing under ``build/`` is
touched, so the previous edition's published documents stay where they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from strategy_docs.atomic import atomic_write
from strategy_docs.errors import DataError, ParamsError, Problem, WorkspaceError
from strategy_docs.i18n import DEFAULT_LANGUAGE
from strategy_docs.inputs.languages import localise

__all__ = [
    "ARCHIVE_FOLDERS",
    "RollForward",
    "YamlDocument",
    "archive_edition",
    "dump_yaml",
    "edition_dir",
    "latest_indicator_values",
    "next_major_version",
    "roll_forward",
    "shift_year",
]

# What the archive holds (an exact copy), relative to params/; the data snapshot sits beside it.
ARCHIVE_FOLDERS = ("authorities", "client-groups", "strategies")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------------------------------------
# writing YAML readably


class _Dumper(yaml.SafeDumper):
    """Safe dumper: block style, indented sequences, multi-line text as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):  # noqa: D401
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value:
        # Trailing spaces on a line cannot be kept in a block scalar; PyYAML then quotes.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


class FlowDict(dict):
    """A mapping written in flow style (``{likelihood: 3, impact: 4}``)."""


class FlowList(list):
    """A list written in flow style (``[IQL1, IH2]``)."""


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def dump_yaml(data: Any, width: int = 100) -> str:
    """Readable YAML: key order kept, block style, Unicode as is, lines up to 100 characters."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=width,
                     default_flow_style=False)


def _styled(value: Any, template: yaml.Node | None) -> Any:
    """``value`` with mappings and lists marked flow style where ``template`` (the node that held
    the same kind of value in the original file) was written in flow style."""
    if isinstance(value, dict):
        children = {}
        if isinstance(template, yaml.MappingNode):
            children = {k.value: v for k, v in template.value if isinstance(k, yaml.ScalarNode)}
        out = {k: _styled(v, children.get(k)) for k, v in value.items()}
        if isinstance(template, yaml.MappingNode) and template.flow_style and all(
                not isinstance(v, (dict, list)) or isinstance(v, (FlowDict, FlowList)) for v in out.values()):
            return FlowDict(out)
        return out
    if isinstance(value, list):
        item_template = template.value[0] if isinstance(template, yaml.SequenceNode) and template.value else None
        out_list = [_styled(v, item_template) for v in value]
        if isinstance(template, yaml.SequenceNode) and template.flow_style and value and all(
                not isinstance(v, (dict, list)) for v in out_list):
            return FlowList(out_list)
        return out_list
    return value


def _scalar_text(value: Any, in_flow: bool = False) -> str:
    """One scalar as YAML text for an in-place replacement (always a single line)."""
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=100000, default_flow_style=True)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    if text.endswith("..."):
        text = text[:-3].rstrip()
    if "\n" in text:
        raise ValueError("not a one-line scalar")
    if in_flow and isinstance(value, str) and text == value and re.search(r"[,\[\]{}#:]", value):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


# ---------------------------------------------------------------------------------------------
# in-place YAML editing


class YamlDocument:
    """A YAML file edited in place: values are replaced inside the original text.

    Each change updates both :attr:`data` (the plain values) and a list of text edits made
    from the node positions PyYAML reports. :meth:`text` applies the edits and reads the result
    back; if it does not equal :attr:`data` (a layout the editor cannot handle), the whole file
    is written again with :func:`dump_yaml`, keeping its leading comment block.
    """

    def __init__(self, text: str):
        self.bom = text.startswith("\ufeff")
        self.original = text[1:] if self.bom else text
        self.data = yaml.load(self.original, Loader=_LOADER)
        self.root = yaml.compose(self.original, Loader=_LOADER)
        self._edits: list[tuple[int, int, str]] = []
        self._failed = False
        self.rewritten = False  # set by text() when the full-dump fallback was used
        longest = max((len(line) for line in self.original.splitlines()), default=0)
        self.width = 100 if longest <= 100 else 4096  # keep the authors' long lines unfolded

    # -- navigation

    def _node(self, path: Iterable[Any]) -> yaml.Node | None:
        node = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        node = value
                        break
                else:
                    return None
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return None
                node = node.value[part]
            else:
                return None
        return node

    def _key_node(self, path: tuple) -> yaml.Node | None:
        parent = self._node(path[:-1])
        if isinstance(parent, yaml.MappingNode):
            for key, _ in parent.value:
                if key.value == path[-1]:
                    return key
        return None

    def _data_parent(self, path: tuple) -> Any:
        target = self.data
        for part in path[:-1]:
            target = target[part]
        return target

    def _content_end(self, start: int, end: int) -> int:
        """The start of the line after the last line with content in ``[start, end)``."""
        text = self.original
        chunk = text[start:end]
        lines = chunk.splitlines(keepends=True)
        keep = len(lines)
        while keep > 1 and (not lines[keep - 1].strip() or lines[keep - 1].lstrip().startswith("#")):
            keep -= 1
        cut = start + sum(len(line) for line in lines[:keep])
        return cut

    def _line_start(self, index: int) -> int:
        return self.original.rfind("\n", 0, index) + 1

    def _edit(self, start: int, end: int, replacement: str) -> None:
        for s, e, _ in self._edits:
            if start < e and s < end or (start == end == s == e):
                self._failed = True
        self._edits.append((start, end, replacement))

    # -- changes

    def set(self, path: Iterable[Any], value: Any) -> None:
        """Set a scalar value (a new key is added at the end of its block mapping)."""
        path = tuple(path)
        parent_data = self._data_parent(path)
        parent_data[path[-1]] = value
        node = self._node(path)
        try:
            if node is None:
                self._insert_key(path, value)
            elif isinstance(node, yaml.ScalarNode):
                parent = self._node(path[:-1])
                in_flow = bool(getattr(parent, "flow_style", False))
                replacement = _scalar_text(value, in_flow)
                end = node.end_mark.index
                if node.style in ("|", ">") and self.original[end - 1 : end] == "\n":
                    replacement += "\n"
                self._edit(node.start_mark.index, end, replacement)
            else:
                self._failed = True
        except (ValueError, IndexError):
            self._failed = True

    def _insert_key(self, path: tuple, value: Any) -> None:
        mapping = self._node(path[:-1])
        if not isinstance(mapping, yaml.MappingNode) or mapping.flow_style or not mapping.value:
            self._failed = True
            return
        column = mapping.value[0][0].start_mark.column
        last_key, last_value = mapping.value[-1]
        end = self._content_end(last_key.start_mark.index, max(last_value.end_mark.index, mapping.end_mark.index))
        line = " " * column + f"{_scalar_text(path[-1])}: {_scalar_text(value)}\n"
        if end > 0 and self.original[end - 1] != "\n":
            line = "\n" + line
        self._edit(end, end, line)

    def append(self, path: Iterable[Any], item: Any) -> None:
        """Append an item to a block sequence."""
        self.extend(path, [item])

    def extend(self, path: Iterable[Any], items: list) -> None:
        """Append items to a block sequence (styled like its last item)."""
        path = tuple(path)
        target = self.data
        for part in path:
            target = target[part]
        target.extend(items)
        if not items:
            return
        node = self._node(path)
        if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
            self._failed = True
            return
        first = node.value[0]
        line_start = self._line_start(first.start_mark.index)
        prefix = self.original[line_start : first.start_mark.index]
        dash = prefix.find("-")
        if dash < 0 or prefix[:dash].strip():
            self._failed = True
            return
        end = self._content_end(node.value[-1].start_mark.index, node.end_mark.index)
        styled = [_styled(item, node.value[-1]) for item in items]
        block = "".join(" " * dash + line if line.strip() else line
                        for line in dump_yaml(styled, self.width).splitlines(keepends=True))
        if end > 0 and self.original[end - 1] != "\n":
            block = "\n" + block
        self._edit(end, end, block)

    def replace_item(self, path: Iterable[Any], index: int, value: Any, template: yaml.Node | None = None) -> None:
        """Replace one item of a block sequence (written in block style at the item's place;
        nested values keep the flow or block style they had, or that ``template`` has)."""
        path = tuple(path)
        target = self.data
        for part in path:
            target = target[part]
        target[index] = value
        node = self._node(path + (index,))
        seq = self._node(path)
        if node is None or not isinstance(seq, yaml.SequenceNode) or seq.flow_style:
            self._failed = True
            return
        start = node.start_mark.index
        column = node.start_mark.column
        if self.original[self._line_start(start):start].strip() != "-":
            self._failed = True
            return
        following = seq.value[index + 1].start_mark.index if index + 1 < len(seq.value) else seq.end_mark.index
        end = self._content_end(start, max(node.end_mark.index, min(following, len(self.original))))
        if index + 1 < len(seq.value):
            end = min(end, self._line_start(following))
        lines = dump_yaml(_styled(value, template if template is not None else node), self.width).splitlines(keepends=True)
        text = lines[0] + "".join(" " * column + line if line.strip() else line for line in lines[1:])
        if end > 0 and self.original[end - 1] != "\n":
            text = text.rstrip("\n")
        self._edit(start, end, text)

    def replace(self, key: str, value: Any) -> None:
        """Replace a top-level key's whole value (written in block style)."""
        self.data[key] = value
        key_node = self._key_node((key,))
        value_node = self._node((key,))
        if key_node is None or value_node is None:
            self._failed = True
            return
        end = self._content_end(key_node.start_mark.index, max(value_node.end_mark.index, key_node.end_mark.index))
        self._edit(key_node.start_mark.index, end, dump_yaml({key: self.styled_like(value, value_node)}, self.width))

    def styled_like(self, items: Any, seq: yaml.Node | None) -> Any:
        """Items of a register styled like the original items with the same id (or the first one)."""
        if not isinstance(items, list) or not isinstance(seq, yaml.SequenceNode) or not seq.value:
            return _styled(items, seq)
        by_id = {}
        for item_node in seq.value:
            if isinstance(item_node, yaml.MappingNode):
                for k, v in item_node.value:
                    if k.value == "id" and isinstance(v, yaml.ScalarNode):
                        by_id[v.value] = item_node
        out = []
        for item in items:
            template = by_id.get(str(item.get("id"))) if isinstance(item, dict) else None
            out.append(_styled(item, template if template is not None else seq.value[0]))
        return out

    def item_node(self, path: Iterable[Any], index: int) -> yaml.Node | None:
        return self._node(tuple(path) + (index,))

    def delete_item(self, path: Iterable[Any], index: int) -> None:
        """Remove one item of a block sequence (its lines, up to the next item)."""
        path = tuple(path)
        target = self.data
        for part in path:
            target = target[part]
        seq = self._node(path)
        if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or len(seq.value) < 2:
            self._failed = True
            del target[index]
            return
        del target[index]  # callers delete from the last index down, so positions stay valid
        node = seq.value[index]
        start = self._line_start(node.start_mark.index)
        if index + 1 < len(seq.value):
            end = self._line_start(seq.value[index + 1].start_mark.index)
        else:
            end = self._content_end(node.start_mark.index, seq.end_mark.index)
        self._edit(start, end, "")

    # -- result

    def _leading_comments(self) -> str:
        lines = []
        for line in self.original.splitlines(keepends=True):
            if line.lstrip().startswith("#") or not line.strip():
                lines.append(line)
            else:
                break
        return "".join(lines)

    def text(self) -> str:
        """The edited file's text (with its byte-order mark if it had one)."""
        out = None
        if not self._failed:
            out = self.original
            for start, end, replacement in sorted(self._edits, key=lambda e: (e[0], e[1]), reverse=True):
                out = out[:start] + replacement + out[end:]
            try:
                if yaml.load(out, Loader=_LOADER) != self.data:
                    out = None
            except yaml.YAMLError:
                out = None
        if out is None:
            self.rewritten = True
            out = self._leading_comments() + dump_yaml(self.data)
        return ("\ufeff" if self.bom else "") + out


# ---------------------------------------------------------------------------------------------
# helpers


def shift_year(value: dt.date, years: int = 1) -> dt.date:
    """The same day a year on (29 February becomes 28 February)."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def next_major_version(versions: Iterable[Any]) -> str:
    """'0.3', '1.0', '1.2' -> '2.0'; 'v2' -> '3.0'; nothing readable -> '1.0'."""
    majors = []
    for version in versions:
        match = re.search(r"(\d+)", str(version))
        if match:
            majors.append(int(match.group(1)))
    return f"{(max(majors) if majors else 0) + 1}.0"


def edition_dir(workspace: Path, slug: str) -> Path:
    """Where an edition's parameters are archived: ``params/editions/<slug>/``."""
    if not re.match(r"^\d{4}-\d{2}$", str(slug)):
        raise WorkspaceError(f"'{slug}' is not an edition slug like 2026-27.")
    return Path(workspace) / "params" / "editions" / slug


def latest_indicator_values(indicators, client_group: str) -> dict[str, tuple[str, float]]:
    """indicator id -> (period, value) of the latest period that has a value."""
    from strategy_docs.analysis.indicators import period_key

    out: dict[str, tuple[str, float]] = {}
    if indicators is None or len(indicators) == 0:
        return out
    frame = indicators
    if "client_group" in frame.columns:
        frame = frame[frame["client_group"].astype(str) == str(client_group)]
    best: dict[str, tuple] = {}
    for ind, period, value in zip(frame["indicator_id"], frame["period"], frame["value"]):
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isnan(number):
            continue
        key = period_key(period)
        if str(ind) not in best or key > best[str(ind)][0]:
            best[str(ind)] = (key, str(period), number)
    for ind, (_, period, number) in best.items():
        out[ind] = (period, int(number) if number.is_integer() and abs(number) < 1e15 else number)
    return out


def _read_indicators(workspace: Path, authority: str):
    from strategy_docs.inputs.data import find_table_file, read_table

    path = find_table_file(workspace / "data" / authority, "indicators")
    if path is None:
        return None
    problems: list[Problem] = []
    frame = read_table(path, "indicators", path.relative_to(workspace).as_posix(), problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(problems)
    return frame


# ---------------------------------------------------------------------------------------------
# archiving and rolling forward


def archive_edition(workspace: Path, slug: str) -> Path:
    """Copy the parameters (and a snapshot of the data) into ``params/editions/<slug>/``.

    The copy is exact (``project.yaml``, ``authorities/``, ``client-groups/``, ``strategies/``),
    plus ``data/`` as it stood, so "what changed" can compare with what was published. The
    archive is written to a temporary folder and renamed, so it is either complete or absent.
    """
    workspace = Path(workspace)
    target = edition_dir(workspace, slug)
    if target.exists():
        raise WorkspaceError(
            f"The edition {slug} is already archived in {target.relative_to(workspace).as_posix()}/. "
            "Fix: if an earlier roll-forward stopped half way, check params/project.yaml and remove the "
            "archive folder before running new-edition again; never roll the same edition forward twice."
        )
    params = workspace / "params"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", dir=target.parent))
    try:
        shutil.copy2(params / "project.yaml", staging / "project.yaml")
        for folder in ARCHIVE_FOLDERS:
            if (params / folder).is_dir():
                shutil.copytree(params / folder, staging / folder)
        if (workspace / "data").is_dir():
            shutil.copytree(workspace / "data", staging / "data")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@dataclass
class StrategyRoll:
    """What rolling one strategy file forward changed."""

    authority: str
    client_group: str
    path: Path
    version: str
    intentions_moved: int = 0
    risks_flagged: int = 0
    baselines: dict[str, tuple[str, float]] = field(default_factory=dict)
    missing_baselines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rewritten: bool = False


@dataclass
class RollForward:
    """The result of :func:`roll_forward`."""

    previous_slug: str
    new_slug: str
    new_label: str
    archive: Path
    strategies: list[StrategyRoll] = field(default_factory=list)
    project_rewritten: bool = False


def _project_text(text: str, old_start: int, new_start: int, slug: str) -> tuple[str, bool]:
    doc = YamlDocument(text)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("edition"), dict):
        raise ParamsError([Problem("params/project.yaml", "has no 'edition' mapping.", field="edition")])
    doc.set(("edition", "start_year"), new_start)
    doc.set(("previous_edition",), slug)
    out = doc.text()
    if doc.rewritten:
        return out, True
    # Comments on the edition's lines name its years ("# 2026/27"): move them on too.
    key_node = doc._key_node(("edition",))
    edition_node = doc._node(("edition",))
    if key_node is not None and edition_node is not None:
        end = doc._content_end(key_node.start_mark.index, edition_node.end_mark.index)
        first = key_node.start_mark.line + 1
        last = doc.original.count("\n", 0, max(end - 1, 0))  # 0-based index of the last line
        lines = out.splitlines(keepends=True)
        shift = new_start - old_start

        def bump(match: re.Match) -> str:
            year = int(match.group(1)) + shift
            if match.group(2):
                return f"{year}/{(year + 1) % 100:02d}"
            return str(year)

        for i in range(max(first - 1, 0), min(last + 1, len(lines))):
            line = lines[i]
            hash_at = _comment_start(line)
            if hash_at is not None:
                comment = re.sub(r"\b((?:19|20)\d{2})(/\d{2})?\b", bump, line[hash_at:])
                lines[i] = line[:hash_at] + comment
        out = "".join(lines)
    return out, False


def _comment_start(line: str) -> int | None:
    """Index of a '#' comment on a YAML line (outside quotes), or None."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return None


def _roll_strategy(path: Path, workspace: Path, authority: str, group: str, new_label: str, old_start: int,
                   today: dt.date, indicators) -> tuple[str, StrategyRoll, dict]:
    from strategy_docs.inputs.params import Strategy

    display = path.relative_to(workspace).as_posix()
    doc = YamlDocument(path.read_text(encoding="utf-8-sig"))
    data = doc.data
    if not isinstance(data, dict):
        raise ParamsError([Problem(display, "is not a mapping of keys to values.")])
    control = data.get("document_control") or {}
    history = control.get("version_history") or []
    version = next_major_version(entry.get("version") for entry in history if isinstance(entry, dict))
    roll = StrategyRoll(authority, group, path, version)
    doc.append(("document_control", "version_history"),
               {"version": version, "date": today, "comments": f"Rolled forward to the {new_label} edition"})
    if control.get("status") != "draft":
        doc.set(("document_control", "status"), "draft")
    for key in ("publication_date", "valid_until"):
        if key in control:
            doc.set(("document_control", key), shift_year(_as_date(control[key])))
    consultation = data.get("consultation")
    if isinstance(consultation, dict) and "closing_date" in consultation:
        # It must still close after the (moved) publication date; the authors set the real one.
        doc.set(("consultation", "closing_date"), shift_year(_as_date(consultation["closing_date"])))
        roll.notes.append("the consultation closing date moved on a year: set the new consultation's dates.")
    for i, intention in enumerate(data.get("intentions") or []):
        cycle = intention.get("cycle") if isinstance(intention, dict) else None
        if isinstance(cycle, dict) and "expected" in cycle and cycle.get("current") != cycle["expected"]:
            doc.set(("intentions", i, "cycle", "current"), cycle["expected"])
            roll.intentions_moved += 1
    for i, risk in enumerate(data.get("risks") or []):
        if isinstance(risk, dict):
            if risk.get("review_flag") is not True:
                doc.set(("risks", i, "review_flag"), True)
            roll.risks_flagged += 1
    latest = latest_indicator_values(indicators, group)
    for i, indicator in enumerate(data.get("indicators") or []):
        if not isinstance(indicator, dict):
            continue
        found = latest.get(str(indicator.get("id")))
        if found is None:
            roll.missing_baselines.append(str(indicator.get("id")))
            continue
        roll.baselines[str(indicator.get("id"))] = found
        if indicator.get("baseline") != found[1]:
            doc.set(("indicators", i, "baseline"), found[1])
    title = str(control.get("title", ""))
    if re.search(rf"\b{old_start}\b", title):
        roll.notes.append(f"the title mentions {old_start}: check whether it names the period.")
    reference = str(control.get("reference", ""))
    if re.search(rf"\b{old_start}\b", reference):
        roll.notes.append(f"the reference mentions {old_start}: update it if it names the edition.")
    text = doc.text()
    roll.rewritten = doc.rewritten
    new_data = yaml.load(text.lstrip("\ufeff"), Loader=_LOADER)
    try:
        Strategy.model_validate(localise(new_data, "strategy", DEFAULT_LANGUAGE, display)[0])
    except Exception as exc:  # pydantic ValidationError: should not happen for a valid file
        raise ParamsError([Problem(display, f"would not be valid after rolling forward: {exc}")]) from exc
    return text, roll, new_data


def roll_forward(workspace: Path | str, today: dt.date | None = None) -> RollForward:
    """Archive the current edition and move every parameters file on one year.

    Validates the workspace first (nothing is changed if it is invalid), archives it, and
    writes each changed file atomically. Returns what was done, for the command to report.
    """
    from strategy_docs.inputs.params import load_params

    workspace = Path(workspace).resolve()
    today = today or dt.date.today()
    params = load_params(workspace)  # raises ParamsError listing every problem: nothing changed yet
    edition = params.project.edition
    old_slug = edition.slug
    from strategy_docs.inputs.params import Edition

    new_edition = Edition(start_year=edition.start_year + 1, years=edition.years,
                          look_ahead_years=edition.look_ahead_years)
    if edition_dir(workspace, old_slug).exists():
        archive_edition(workspace, old_slug)  # raises the clear "already archived" error

    # Work out every new file in memory first, so a problem stops the roll before any change.
    strategy_dir = workspace / "params" / "strategies"
    indicators_by_authority: dict[str, Any] = {}
    in_matrix = {a for a, _ in params.pairs()}
    planned: list[tuple[Path, str]] = []
    rolls: list[StrategyRoll] = []
    for path in sorted(strategy_dir.glob("*/*.y*ml")):
        authority, group = path.parent.name, path.stem
        data_note = None
        if authority not in indicators_by_authority:
            try:
                indicators_by_authority[authority] = _read_indicators(workspace, authority)
            except DataError:
                if authority in in_matrix:
                    raise
                indicators_by_authority[authority] = None  # outside the matrix: do not block the roll
        if indicators_by_authority[authority] is None:
            data_note = f"no readable data/{authority}/indicators table: indicator baselines were left as they were."
        text, roll, _ = _roll_strategy(path, workspace, authority, group, new_edition.label, edition.start_year,
                                       today, indicators_by_authority[authority])
        if data_note:
            roll.notes.append(data_note)
        planned.append((path, text))
        rolls.append(roll)
    project_file = workspace / "params" / "project.yaml"
    project_text, project_rewritten = _project_text(project_file.read_text(encoding="utf-8-sig"),
                                                    edition.start_year, new_edition.start_year, old_slug)

    archive = archive_edition(workspace, old_slug)
    for path, text in planned:
        atomic_write(path, text)
    atomic_write(project_file, project_text)  # last: the project file marks the roll as done
    from strategy_docs.sections.context import clear_cache

    clear_cache()
    return RollForward(old_slug, new_edition.slug, new_edition.label, archive, rolls, project_rewritten)


def copy_data(data: Any) -> Any:
    """A deep copy of plain YAML data (helper for callers that edit what they read)."""
    return copy.deepcopy(data)
