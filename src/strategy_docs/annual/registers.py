"""The Excel round trip for a strategy's registers: risks, intentions, indicators, hypotheses.

Many teams keep their risk register and action plan in Excel. ``export_registers`` writes one
workbook per strategy with a sheet per register (one row per item, nested fields flattened to
plain column names, lists as numbered columns or "; "-separated identifiers), formatted for
editing: bold frozen header row, filters, sensible widths, wrapped text and drop-down lists
(likelihood and impact 1-5, intention types, the authority's cycle stages, polarity, units,
metrics, verdicts, themes).

``import_registers`` reads the workbook back, validates every row with the same pydantic models
as the YAML, runs the same cross-reference checks, and reports each problem with the sheet as
the file, the row as the line and the column heading as the field. Only the four registers are
rewritten in the strategy's YAML (item by item where possible, so untouched items keep their
layout); everything else in the file stays byte for byte as it was. An untouched export imports
back to identical parameters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedSeq
from pydantic import ValidationError as PydanticValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from strategy_docs.analysis.cycle import vocabulary_of
from strategy_docs.errors import ParamsError, Problem
from strategy_docs.inputs.schema import REGISTERS, Column, Register
from strategy_docs.inputs.yaml_edit import RoundTrip, delete_item, extend, replace_item, round_trip, set_value, styled_register
from strategy_docs.analysis.hypotheses import COMPARISONS, METRICS
from strategy_docs.atomic import atomic_write
from strategy_docs.inputs import params as models
from strategy_docs.inputs.params import Indicator, Intention, Strategy, _pydantic_problems, check_strategy, load_params
from strategy_docs.inputs.yamlio import LineMap
from strategy_docs.sections.context import clear_cache
from strategy_docs.i18n import DEFAULT_LANGUAGE
from strategy_docs.inputs.languages import is_versions, localise

__all__ = [
    "REGISTERS",
    "ImportResult",
    "export_registers",
    "import_registers",
    "read_workbook",
    "write_workbook",
]

MAX_ROWS_VALIDATED = 500  # drop-down lists cover this many rows below the header
LISTS_SHEET = "Lists"
README_SHEET = "Read me"
IDENTIFIER_PREFIX = "strategy-docs registers:"


def _model(register: Register) -> type[BaseModel]:
    return getattr(models, register.model_name)


# ---------------------------------------------------------------------------------------------
# values <-> cells


def _get(item: dict, path: tuple[str, ...]) -> Any:
    value: Any = item
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _metric_arg_types(metric: str | None) -> dict[str, str]:
    spec = METRICS.get(str(metric or ""), {})
    return {name: arg.get("type", "str") for name, arg in (spec.get("args") or {}).items()}


def format_args(args: dict[str, Any], metric: str | None = None) -> str:
    """{'measure': 'dementia', 'to_year': 2036} -> 'measure=dementia; to_year=2036'."""
    types = _metric_arg_types(metric)
    parts = []
    for name, value in args.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        else:
            text = str(value)
            needs_quotes = (
                text != text.strip() or not text or any(ch in text for ch in ';="')
                or (_looks_numeric(text) and types.get(name) != "str")
            )
            if needs_quotes:
                text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{name}={text}")
    return "; ".join(parts)


_ARG_RE = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*?)\s*(?:;|$)')


def parse_args(text: str, metric: str | None = None) -> dict[str, Any]:
    """The inverse of :func:`format_args`; raises ValueError for text it cannot read."""
    types = _metric_arg_types(metric)
    out: dict[str, Any] = {}
    text = str(text).strip()
    pos = 0
    while pos < len(text):
        match = _ARG_RE.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read '{text[pos:].strip()}'; write name=value pairs separated by '; '")
        name, raw = match.group(1), match.group(2)
        if raw.startswith('"'):
            value: Any = json.loads(raw)
        elif types.get(name) == "str":
            value = raw
        elif re.fullmatch(r"[+-]?\d+", raw):
            value = int(raw)
        elif _looks_numeric(raw) and raw.lower() not in ("nan", "inf", "-inf", "infinity"):
            value = float(raw)
        else:
            value = raw
        out[name] = value
        pos = match.end()
        while pos < len(text) and text[pos] in " ;":
            pos += 1
    return out


def _cell_value(column: Column, value: Any, item: dict) -> Any:
    if value is None:
        return None
    if column.kind == "bool":
        return "Yes" if value else "No"
    if column.kind == "ids":
        return "; ".join(str(v) for v in value) if value else None
    if column.kind == "args":
        return format_args(value, _get(item, ("test", "metric"))) if value else None
    if column.kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if isinstance(value, str) and value == "":
        return None
    return value


def _text_from_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _from_cell(column: Column, value: Any) -> Any:
    """Convert a cell to what the model expects; leave odd values for the model to reject."""
    if column.kind in ("text", "markdown"):
        return _text_from_cell(value)
    if column.kind in ("int", "float") and isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it: refused as a number, never read as 1 or 0
    if column.kind == "int":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
        return value
    if column.kind == "float":
        if isinstance(value, str):
            cleaned = value.strip().replace(",", "")
            if _looks_numeric(cleaned):
                return float(cleaned)
        return value
    if column.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            text = value.strip()
            for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
                try:
                    return dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    pass
        return value
    if column.kind == "bool":
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("yes", "y", "true", "1"):
                return True
            if word in ("no", "n", "false", "0"):
                return False
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        return value
    if column.kind == "ids":
        return [part.strip() for part in str(_text_from_cell(value)).replace(",", ";").split(";") if part.strip()]
    return value


# ---------------------------------------------------------------------------------------------
# export


@dataclass
class _Lists:
    columns: dict[str, list[Any]]

    def ref(self, name: str) -> str:
        index = list(self.columns).index(name) + 1
        letter = get_column_letter(index)
        return f"{LISTS_SHEET}!${letter}$2:${letter}${len(self.columns[name]) + 1}"


def _lists(authority, strategy) -> _Lists:
    def literal(model, name):
        annotation = model.model_fields[name].annotation
        args = get_args(annotation)
        if type(None) in args:  # an optional field: the choices of its Literal
            args = next(get_args(a) for a in args if a is not type(None))
        return list(args)

    return _Lists({
        "levels": [1, 2, 3, 4, 5],
        "yes_no": ["Yes", "No"],
        "themes": [t.id for t in strategy.themes],
        "intention_types": literal(Intention, "type"),
        "stages": list(vocabulary_of(authority.cycle).stages),
        "polarities": literal(Indicator, "polarity"),
        "units": literal(Indicator, "unit"),
        "metrics": sorted(METRICS),
        "comparisons": list(COMPARISONS),
        "verdicts": ["accepted", "refuted", "inconclusive"],
    })


def _expanded_columns(register: Register, items: list[dict], spare: int = 1) -> list[tuple[str, Column, int | None]]:
    """(heading, column, index in a numbered list or None) for each spreadsheet column."""
    out = []
    for column in register.columns:
        if column.kind == "numbered":
            count = max([len(_get(item, column.path) or []) for item in items] + [1]) + spare
            out.extend((f"{column.label} {n + 1}", column, n) for n in range(count))
        else:
            out.append((column.label, column, None))
    return out


def _band_formula(score_cell: str, bands) -> str:
    formula = f'"{bands[0].label}"'
    for band in bands[1:]:
        formula = f'IF({score_cell}>={band.min_score},"{band.label}",{formula})'
    return f'=IF({score_cell}="","",{formula})'


def write_workbook(strategy, authority, authority_id: str, client_group_id: str, title: str = ""):
    """An openpyxl Workbook holding the four registers of ``strategy`` (a Strategy model)."""
    lists = _lists(authority, strategy)
    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    wrap_top = Alignment(wrap_text=True, vertical="top")
    data = strategy.model_dump()

    for register in REGISTERS:
        ws = wb.create_sheet(register.sheet)
        items = data[register.key]
        columns = _expanded_columns(register, items)
        headings = [h for h, _, _ in columns] + list(register.computed)
        ws.append(headings)
        for col_index, heading in enumerate(headings, start=1):
            cell = ws.cell(row=1, column=col_index)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        widths = [len(h) + 2 for h in headings]
        for row_index, item in enumerate(items, start=2):
            for col_index, (heading, column, n) in enumerate(columns, start=1):
                value = _get(item, column.path)
                if n is not None:
                    value = value[n] if value and n < len(value) else None
                else:
                    value = _cell_value(column, value, item)
                cell = ws.cell(row=row_index, column=col_index)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, even if the text starts with '='
                if column.kind == "date" and value is not None:
                    cell.number_format = "yyyy-mm-dd"
                cell.alignment = wrap_top
                if value is not None:
                    longest = max(len(line) for line in str(value).splitlines() or [""])
                    widths[col_index - 1] = max(widths[col_index - 1], min(longest + 2, 60))
        if register.computed:  # risk scores and bands, worked out by the spreadsheet
            position = {h: get_column_letter(i) for i, (h, _, _) in enumerate(columns, start=1)}
            first = len(columns) + 1
            for row_index in range(2, max(len(items) + 2, 3) + 48):
                cells = {}
                for kind in ("Inherent", "Residual"):
                    lk = f"{position[kind + ' likelihood']}{row_index}"
                    im = f"{position[kind + ' impact']}{row_index}"
                    cells[kind] = (f'=IF(OR({lk}="",{im}=""),"",{lk}*{im})', None)
                offset = 0
                for kind in ("Inherent", "Residual"):
                    score_col = first + offset
                    ws.cell(row=row_index, column=score_col).value = cells[kind][0]
                    score_ref = f"{get_column_letter(score_col)}{row_index}"
                    ws.cell(row=row_index, column=score_col + 1).value = _band_formula(score_ref, authority.risk_bands)
                    offset += 2
            for i in range(len(register.computed)):
                ws.cell(row=1, column=first + i).comment = Comment(
                    "Worked out by the spreadsheet from likelihood x impact; not imported.", "strategy-docs")
                widths[first - 1 + i] = max(widths[first - 1 + i], 12)
        for col_index, width in enumerate(widths, start=1):
            column = columns[col_index - 1][1] if col_index <= len(columns) else None
            if column is not None and column.kind == "markdown":
                width = max(width, column.width)
            ws.column_dimensions[get_column_letter(col_index)].width = max(8, min(width, 60))
        ws.freeze_panes = "B2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{max(len(items) + 1, 2)}"
        last_row = MAX_ROWS_VALIDATED + 1
        for col_index, (heading, column, n) in enumerate(columns, start=1):
            letter = get_column_letter(col_index)
            rng = f"{letter}2:{letter}{last_row}"
            validation = None
            if column.choices:
                validation = DataValidation(type="list", formula1=lists.ref(column.choices), allow_blank=True)
                if not column.strict:
                    validation.errorStyle = "warning"
                    validation.error = column.help or "Not one of the listed values."
                else:
                    validation.error = f"Choose one of the values in the list for {heading}."
                validation.errorTitle = heading
            elif column.kind == "date":
                validation = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
                validation.error = "Enter a date, e.g. 2027-03-31."
                validation.errorTitle = heading
            elif column.kind == "float":
                validation = DataValidation(type="decimal", operator="between", formula1="-1E+15",
                                            formula2="1E+15", allow_blank=True)
                validation.error = "Enter a number."
                validation.errorTitle = heading
            if validation is not None:
                validation.showErrorMessage = True
                if column.help:
                    validation.prompt = column.help
                    validation.promptTitle = heading
                    validation.showInputMessage = True
                ws.add_data_validation(validation)
                validation.add(rng)
            if column.help and col_index <= len(columns):
                ws.cell(row=1, column=col_index).comment = Comment(column.help, "strategy-docs")

    sheet = wb.create_sheet(LISTS_SHEET)
    for col_index, (name, values) in enumerate(lists.columns.items(), start=1):
        sheet.cell(row=1, column=col_index, value=name).font = header_font
        for row_index, value in enumerate(values, start=2):
            sheet.cell(row=row_index, column=col_index, value=value).data_type = "n" if isinstance(value, int) else "s"
    sheet.sheet_state = "hidden"

    _write_readme(readme, authority, authority_id, client_group_id, title)
    wb.properties.title = f"Registers: {title}" if title else "Strategy registers"
    wb.properties.creator = "strategy-docs"
    wb.properties.identifier = f"{IDENTIFIER_PREFIX}{authority_id}/{client_group_id}"
    wb.properties.language = "en-GB"
    return wb


def _write_readme(ws, authority, authority_id: str, client_group_id: str, title: str) -> None:
    lines = [
        (title or "Strategy registers", Font(bold=True, size=14)),
        (f"Authority: {authority.name} ({authority_id}). Client group: {client_group_id}.", None),
        ("", None),
        ("How to use this workbook", Font(bold=True)),
        ("One sheet per register: Risks, Intentions, Indicators and Hypotheses. One row per item.", None),
        ("Edit, add or delete rows, then import the workbook with:", None),
        (f"    strategy-docs import-registers <this file> {authority_id} {client_group_id}", None),
        ("Only these four registers are changed in the strategy file; everything else is left as it is.", None),
        ("Keep the column headings as they are. Lists (mitigations, drivers) use numbered columns: add a column "
         "such as 'Mitigation 5' if you need more. Outcome codes are separated by '; '.", None),
        ("Drop-down lists show the allowed values. Risk scores and bands are worked out for you and are not imported.",
         None),
        ("Cells may hold Markdown (e.g. **bold**, links) where the document shows formatted text.", None),
        ("If anything is wrong, the import lists every problem by sheet, row and column, and changes nothing.", None),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        if isinstance(text, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110


def _params(workspace: Path, authority: str, client_group: str, params=None):
    if params is not None and (authority, client_group) in params.strategies:
        return params
    return load_params(workspace, pairs_filter=lambda pair: pair == (authority, client_group))


def export_registers(workspace: str | Path, authority: str, client_group: str, output: str | Path | None = None,
                     params=None) -> Path:
    """Write the registers workbook for one strategy; returns its path. ``params``: already
    loaded :class:`strategy_docs.inputs.params.Params` of the workspace (loaded if not given)."""
    workspace = Path(workspace).resolve()
    params = _params(workspace, authority, client_group, params)
    strategy = _strategy_or_error(params, authority, client_group)
    output = Path(output) if output is not None else Path.cwd() / f"{authority}-{client_group}-registers.xlsx"
    if output.suffix.lower() != ".xlsx":
        raise ParamsError([Problem(str(output), "is not an .xlsx file name.", fix="end the file name with .xlsx.")])
    wb = write_workbook(strategy, params.authorities[authority], authority, client_group,
                        strategy.document_control.title)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    wb.save(tmp)
    tmp.replace(output)
    return output


def _strategy_or_error(params, authority: str, client_group: str):
    strategy = params.strategies.get((authority, client_group))
    if strategy is None:
        raise ParamsError([Problem("params/project.yaml", f"the document {authority} / {client_group} is not in the build matrix.",
                                   fix="check the authority and client group identifiers, and matrix.exclude.")])
    return strategy


# ---------------------------------------------------------------------------------------------
# import


@dataclass
class SheetRows:
    """The items read from one sheet, with the Excel row number of each."""

    register: Register
    items: list[dict] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    labels: dict[tuple, str] = field(default_factory=dict)  # model path -> column heading


@dataclass
class ImportResult:
    path: Path
    changed: list[str]  # registers whose content changed
    counts: dict[str, int]
    warnings: list[Problem] = field(default_factory=list)


def _set(item: dict, path: tuple[str, ...], value: Any) -> None:
    target = item
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _headings(ws) -> list[tuple[int, str]]:
    out = []
    for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
        if not _blank(cell.value):
            out.append((cell.column, str(cell.value).strip()))
    return out


def read_workbook(path: str | Path, problems: list[Problem]) -> dict[str, SheetRows]:
    """Read the four register sheets into plain item dicts (problems are appended)."""
    path = Path(path)
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook becomes one clear problem
        problems.append(Problem(path.name, f"cannot be read as an Excel workbook ({exc}).",
                                fix="save it from Excel as an .xlsx workbook."))
        return {}
    out: dict[str, SheetRows] = {}
    identifier = wb.properties.identifier or ""
    if identifier.startswith(IDENTIFIER_PREFIX):
        out["__identifier__"] = identifier[len(IDENTIFIER_PREFIX):]  # type: ignore[assignment]
    for register in REGISTERS:
        if register.sheet not in wb.sheetnames:
            problems.append(Problem(path.name, f"has no sheet called '{register.sheet}'.",
                                    fix="export the registers again, or rename the sheet back."))
            continue
        ws = wb[register.sheet]
        sheet = SheetRows(register)
        by_label = {c.label.lower(): c for c in register.columns if c.kind != "numbered"}
        numbered = {c.label.lower(): c for c in register.columns if c.kind == "numbered"}
        computed = {c.lower() for c in register.computed}
        mapping: list[tuple[int, Column, int | None, str]] = []
        seen: set[str] = set()
        for col, heading in _headings(ws):
            key = re.sub(r"\s+", " ", heading).lower()
            if key in seen:
                problems.append(Problem(register.sheet, f"the column heading '{heading}' appears twice.", line=1,
                                        field=heading, fix="delete or rename one of the two columns."))
                continue
            seen.add(key)
            if key in by_label:
                mapping.append((col, by_label[key], None, heading))
                continue
            match = re.fullmatch(r"(.*?)\s*(\d+)", key)
            if match and match.group(1) in numbered:
                mapping.append((col, numbered[match.group(1)], int(match.group(2)), heading))
                continue
            if key in computed:
                continue
            allowed = [c.label if c.kind != "numbered" else f"{c.label} 1, {c.label} 2, ..." for c in register.columns]
            problems.append(Problem(register.sheet, f"the column '{heading}' is not one of this register's columns.",
                                    line=1, field=heading, fix=f"use the headings {', '.join(allowed)}."))
        present = {c.label for _, c, _, _ in mapping}
        for column in register.columns:
            if column.label not in present and column.kind != "numbered" and column.path[-1] in _required_fields(register, column):
                problems.append(Problem(register.sheet, f"has no '{column.label}' column.", line=1, field=column.label,
                                        fix="add the column back (export the registers again to see the layout)."))
        for row in ws.iter_rows(min_row=2):
            values = {cell.column: cell.value for cell in row}
            if all(_blank(values.get(col)) for col, _, _, _ in mapping):
                continue
            item: dict = {}
            lists: dict[str, list[tuple[int, Any]]] = {}
            row_number = row[0].row
            for col, column, n, heading in mapping:
                value = values.get(col)
                if _blank(value):
                    continue
                if n is not None:
                    lists.setdefault(column.label, []).append((n, _text_from_cell(value)))
                    continue
                if column.kind == "args":
                    metric = values.get(next((c for c, col_, _, _ in mapping if col_.path == ("test", "metric")), -1))
                    try:
                        converted = parse_args(str(value), str(metric) if metric else None)
                    except ValueError as exc:
                        problems.append(Problem(register.sheet, f"{exc}.", line=row_number, field=heading,
                                                fix="write e.g. measure=dementia; to_year=2036"))
                        continue
                else:
                    converted = _from_cell(column, value)
                _set(item, column.path, converted)
            for label, entries in lists.items():
                column = next(c for c in register.columns if c.label == label)
                _set(item, column.path, [v for _, v in sorted(entries, key=lambda e: e[0])])
                sheet.labels.update({
                    column.path + (i,): f"{label} {n}" for i, (n, _) in enumerate(sorted(entries, key=lambda e: e[0]))
                })
            sheet.items.append(item)
            sheet.rows.append(row_number)
        for _, column, n, heading in mapping:
            if n is None:
                sheet.labels[column.path] = heading
        for column in register.columns:
            sheet.labels.setdefault(column.path, f"{column.label} 1" if column.kind == "numbered" else column.label)
        out[register.sheet] = sheet
    return out


def _required_fields(register: Register, column: Column) -> set[str]:
    model = _model(register)
    fields = model.model_fields
    name = column.path[0]
    if name not in fields:
        return set()
    if len(column.path) == 1:
        return {name} if fields[name].is_required() else set()
    return set()  # nested (test, cycle...): reported by the model when missing


def _label_for(sheet: SheetRows, loc: tuple) -> str:
    loc = tuple(loc)
    while loc:
        if loc in sheet.labels:
            return sheet.labels[loc]
        loc = loc[:-1]
    return ""


def _validate_rows(sheet: SheetRows, problems: list[Problem]) -> list[Any]:
    model = _model(sheet.register)
    models = []
    for item, row in zip(sheet.items, sheet.rows):
        try:
            models.append(model.model_validate(item))
        except PydanticValidationError as exc:
            converted = _pydantic_problems(exc, sheet.register.sheet, LineMap())
            for err, problem in zip(exc.errors(), converted):
                loc = tuple(err["loc"])
                label = _label_for(sheet, loc)
                if not label and loc:  # a nested model's own check
                    label = _label_for(sheet, loc[:1])
                if not label and sheet.register.key == "hypotheses":  # the test-or-verdict rule
                    label = sheet.labels.get(("verdict",), "Recorded verdict")
                if err["type"] == "missing":
                    problem = dataclasses.replace(problem, message="is empty but required.", fix="fill in this cell.")
                problems.append(dataclasses.replace(problem, line=row, field=label))
            models.append(None)
    return models


_PATH_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _parse_field(text: str) -> tuple:
    return tuple(int(m.group(2)) if m.group(2) is not None else m.group(1) for m in _PATH_RE.finditer(text or ""))


def _merge_plain(new: Any, old: Any) -> Any:
    """``new`` with ``old``'s spelling wherever the values are equal (83 stays 83, not 83.0),
    and with ``old``'s key order for keys both have. A text the plan gives in two languages
    (``{en: ..., cy: ...}``) keeps its Welsh while its English is unchanged; an edited English
    drops the Welsh of the old text (validate then warns that the Welsh is missing)."""
    if is_versions(old) and not isinstance(new, dict):
        return old if new == old[DEFAULT_LANGUAGE] else {DEFAULT_LANGUAGE: new}
    if isinstance(new, dict) and isinstance(old, dict):
        keys = [k for k in old if k in new] + [k for k in new if k not in old]
        return {k: _merge_plain(new[k], old.get(k)) if k in old else new[k] for k in keys}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [_merge_plain(n, o) for n, o in zip(new, old)]
    if old is not None and type(new) is not bool and type(old) is not bool and new == old:
        return old
    return new


def _plain_item(model: BaseModel, raw: dict | None) -> dict:
    """A model as plain YAML data: fields that differ from their default, or that the original
    item spelled out, in model order; equal values keep the original spelling."""
    out: dict = {}
    raw = raw if isinstance(raw, dict) else {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            value = _plain_item(value, raw.get(name))
        elif isinstance(value, list):
            raw_items = raw.get(name) if isinstance(raw.get(name), list) else []
            value = [_plain_item(v, raw_items[i] if i < len(raw_items) else None) if isinstance(v, BaseModel) else v
                     for i, v in enumerate(value)]
        elif isinstance(value, dict):
            value = dict(value)
        default = info.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = default.model_dump()
        if name in raw or value != default:
            out[name] = value
    return _merge_plain(out, raw)


def import_registers(workspace: str | Path, xlsx: str | Path, authority: str, client_group: str,
                     params=None) -> ImportResult:
    """Validate the workbook and rewrite the four registers in the strategy's YAML.

    Raises ParamsError listing every problem (nothing is written then). ``params``: already
    loaded params of the workspace, used for the authority, client group and checks."""
    workspace = Path(workspace).resolve()
    xlsx = Path(xlsx)
    params = _params(workspace, authority, client_group, params)
    _strategy_or_error(params, authority, client_group)
    path = workspace / "params" / "strategies" / authority / f"{client_group}.yaml"
    display = path.relative_to(workspace).as_posix()
    problems: list[Problem] = []
    if not xlsx.is_file():
        raise ParamsError([Problem(str(xlsx), "does not exist.", fix="check the file name.")])
    sheets = read_workbook(xlsx, problems)
    identifier = sheets.pop("__identifier__", None)  # type: ignore[arg-type]
    if identifier and identifier != f"{authority}/{client_group}":
        problems.append(Problem(xlsx.name, f"was exported for {identifier.replace('/', ' / ')}, not {authority} / {client_group}.",
                                fix="import it for the strategy it was exported from, or export this strategy's registers."))
    if any(r.sheet not in sheets for r in REGISTERS) or [p for p in problems if p.line == 1 or p.line is None]:
        raise ParamsError(problems)  # the workbook's layout is wrong: rows cannot be read reliably

    doc = round_trip(path.read_text(encoding="utf-8-sig"))
    raw = doc.plain()
    _keep_fields_without_columns(sheets, raw)
    models: dict[str, list] = {}
    for register in REGISTERS:
        models[register.key] = _validate_rows(sheets[register.sheet], problems)
    # One pass: rows that failed are left out and the cross-checks still run on the rest, pointed at
    # the rows they came from; a reference to a failed row's id is not reported again.
    failed_ids = {str(item.get("id")) for r in REGISTERS
                  for item, model in zip(sheets[r.sheet].items, models[r.key]) if model is None and item.get("id")}
    row_errors = bool([p for p in problems if p.severity == "error"])
    if row_errors:
        for register in REGISTERS:
            sheet = sheets[register.sheet]
            kept = [i for i, m in enumerate(models[register.key]) if m is not None]
            sheets[register.sheet] = dataclasses.replace(sheet, items=[sheet.items[i] for i in kept],
                                                         rows=[sheet.rows[i] for i in kept])
            models[register.key] = [models[register.key][i] for i in kept]

    new_registers: dict[str, list[dict]] = {}
    for register in REGISTERS:
        originals = {str(item.get("id")): item for item in raw.get(register.key) or [] if isinstance(item, dict)}
        new_registers[register.key] = [_plain_item(m, originals.get(m.id)) for m in models[register.key]]
    candidate = dict(raw)
    candidate.update(new_registers)
    try:
        strategy = Strategy.model_validate(localise(candidate, "strategy", DEFAULT_LANGUAGE, display)[0])
    except PydanticValidationError as exc:
        for err, problem in zip(exc.errors(), _pydantic_problems(exc, display, LineMap())):
            loc = tuple(err["loc"])
            if not (row_errors and err["type"] == "too_short"):  # a register emptied by its failed rows
                problems.append(_locate(problem, loc, sheets))
        raise ParamsError(problems) from None
    checks = check_strategy(strategy, params.authorities[authority], params.client_groups[client_group], display, LineMap(),
                            name_items=False)  # positions: _locate maps them to sheet rows
    for problem in checks:
        if any(f"'{ident}'" in problem.message for ident in failed_ids):
            continue  # follows from a row already reported
        problems.append(_locate(problem, _parse_field(problem.field), sheets))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ParamsError(problems)

    changed = []
    for register in REGISTERS:
        new_items = new_registers[register.key]
        old_items = raw.get(register.key) or []
        kept_ids = {str(item.get("id")) for item in new_items}
        for item in old_items:
            if isinstance(item, dict) and str(item.get("id")) not in kept_ids:
                title = item.get("title") or item.get("name") or item.get("statement") or ""
                problems.append(Problem(xlsx.name, f"the {register.model_name.lower()} {item.get('id')}"
                                        + (f" ({str(title)[:60]!r})" if title else "")
                                        + f" has no row in the '{register.sheet}' sheet, so the import removes it from "
                                          f"{display}.", severity="warning",
                                        fix="if that was not meant, add its row back and import again "
                                            "(the file's previous version is in your version control)."))
        if new_items == old_items and all(type(a) is type(b) for a, b in zip(new_items, old_items)):
            continue
        changed.append(register.key)
        _rewrite_register(doc, register.key, old_items, new_items)
    if changed:
        atomic_write(path, doc.text())
        clear_cache()
    return ImportResult(path, changed, {r.key: len(new_registers[r.key]) for r in REGISTERS},
                        [p for p in problems if p.severity != "error"])


def _keep_fields_without_columns(sheets: dict, raw: dict) -> None:
    """A field the sheet has no column for (an intention's contracts) is kept as the YAML has it,
    for the item of the same id: a round trip through Excel never drops what the plan states."""
    for register in REGISTERS:
        covered = {c.path[0] for c in register.columns}
        originals = {str(item.get("id")): item for item in raw.get(register.key) or [] if isinstance(item, dict)}
        for item in sheets[register.sheet].items:
            original = originals.get(str(item.get("id")))
            for key, value in (original or {}).items():
                if key not in covered:
                    item.setdefault(key, copy.deepcopy(value))  # not shared with the YAML's own data


def _rewrite_register(doc: RoundTrip, key: str, old_items: list, new_items: list[dict]) -> None:
    """Edit one register in place: changed items updated, deleted ones removed, new ones appended
    at the end. Anything else (a new order, items inserted in the middle) rewrites the register."""
    old_ids = [str(i.get("id")) if isinstance(i, dict) else None for i in old_items]
    new_ids = [str(i.get("id")) for i in new_items]
    kept = [i for i in new_ids if i in old_ids]
    register = doc.data.get(key)
    in_place = (
        len(set(old_ids)) == len(old_ids) and len(set(new_ids)) == len(new_ids) and kept
        and kept == [i for i in old_ids if i in new_ids] and new_ids[: len(kept)] == kept
        and isinstance(register, CommentedSeq) and not register.fa.flow_style()
    )
    if not in_place:
        set_value(doc.data, key, styled_register(new_items, register))
        return
    new_by_id = dict(zip(new_ids, new_items))
    for index, old in enumerate(old_items):  # updates first, while indices are the original ones
        new = new_by_id.get(old_ids[index])
        if new is not None and new != old:
            replace_item(register, index, new)
    for index in reversed(range(len(old_items))):
        if old_ids[index] not in new_by_id:
            delete_item(register, index)
    extend(register, new_items[len(kept):])


def _locate(problem: Problem, loc: tuple, sheets: dict[str, SheetRows]) -> Problem:
    """Point a strategy-level problem at the sheet, row and column it came from, if it did."""
    register = next((r for r in REGISTERS if loc and loc[0] == r.key), None)
    if register is None:
        return problem
    sheet = sheets[register.sheet]
    if len(loc) >= 2 and isinstance(loc[1], int) and loc[1] < len(sheet.rows):
        label = _label_for(sheet, loc[2:]) if len(loc) > 2 else ""
        return dataclasses.replace(problem, file=register.sheet, line=sheet.rows[loc[1]], field=label)
    return dataclasses.replace(problem, file=register.sheet, line=None, field="")
