"""Loading data tables (CSV or XLSX) with schema checks.

Data arrives as exports from finance, case-management and market systems, often saved
from Excel. One loader reads every table the same way: it copes with a UTF-8 byte-order
mark, Windows-1252 text, ';' separators, thousands separators, extra title rows above the
header in a spreadsheet and merged cells; anything it cannot read with confidence becomes
a problem naming the file, the column and the row.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from strategy_docs.errors import DataError, Problem
from strategy_docs.inputs.schema import FINANCIAL_YEAR, RATINGS, TABLES, Table
from strategy_docs.inputs.workspace import link_problem

TABLE_SUFFIXES = (".csv", ".xlsx")


def table_candidates(folder: Path, table: str) -> list[Path]:
    return [folder / f"{table}{suffix}" for suffix in TABLE_SUFFIXES]


def find_table_file(folder: Path, table: str) -> Path | None:
    for candidate in table_candidates(folder, table):
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------- reading raw text


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as Windows-1252 (e.g. £ as 0xA3).
        return raw.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _lines(text: str):
    """The text's lines with their endings, one at a time (a copy of a 50 MB file would double its cost)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _read_csv(path: Path, expected: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV column by column, keeping only the `expected` columns' cells (all when None).

    Built for big exports: cells are kept per column, not per row, repeated text ("female",
    "2026", an area code) is stored once, and row numbers are only listed when blank rows left gaps.
    """
    text = _decode(path.read_bytes())
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    wanted = None if expected is None else {e.lower() for e in expected}
    header: list[str] | None = None
    keep: list[int] = []
    columns: list[list] = []
    lines: list[int] | None = None  # the file line of every data row, once there is a gap
    extra: list[int] = []
    shared: dict[str, str] = {}
    header_line = count = last = 0
    for row in reader:
        start, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header, header_line = [h.strip() for h in row], start
            keep = [i for i, h in enumerate(header)
                    if wanted is None or h.lower().replace(" ", "_") in wanted]
            columns = [[] for _ in keep]
            continue
        if lines is None and start != header_line + 1 + count:
            lines = list(range(header_line + 1, header_line + 1 + count))
        if lines is not None:
            lines.append(start)
        width = len(header)
        if len(row) > width and any(c.strip() for c in row[width:]):
            extra.append(count)
        for column, i in zip(columns, keep):
            cell = row[i] if i < len(row) else ""
            if len(shared) < 100_000:
                cell = shared.setdefault(cell, cell)
            column.append(cell)
        count += 1
    del text, reader
    if header is None:
        return pd.DataFrame()
    frame = pd.DataFrame({j: column for j, column in enumerate(columns)}, dtype=object)
    frame.columns = [header[i] for i in keep]
    if not keep:
        frame = pd.DataFrame(index=range(count), columns=[], dtype=object)
    frame.attrs["header"] = header
    frame.attrs["first_data_row"] = header_line + 1
    if lines is not None:
        frame.attrs["row_numbers"] = tuple(lines)
    frame.attrs["extra_cells"] = extra
    return frame


def _set_row_numbers(frame: pd.DataFrame, header_line: int, lines: list[int]) -> None:
    """Where each data row is in the file, as a spreadsheet shows it (only stored when there are gaps)."""
    frame.attrs["first_data_row"] = header_line + 1
    if lines != list(range(header_line + 1, header_line + 1 + len(lines))):
        frame.attrs["row_numbers"] = tuple(lines)


def row_number(frame: pd.DataFrame, index: int) -> int:
    """The file's row number of the frame's row `index` (1-based, as in a spreadsheet)."""
    numbers = frame.attrs.get("row_numbers")
    if numbers is not None and 0 <= index < len(numbers):
        return numbers[index]
    return frame.attrs.get("first_data_row", 2) + index


def _read_xlsx(path: Path, expected: list[str]) -> pd.DataFrame:
    """Read the one sheet of a workbook that holds the table (by its header row).

    A workbook often has more than one sheet: notes, an archive of last year's figures, a pivot.
    The table is the visible sheet whose header row names the expected columns; two such sheets,
    or only a hidden one, are refused rather than guessed between. Rows or columns hidden in the
    sheet, cells formatted as percentages and formulas adding up other rows are marked, so the
    checks can name them: each would be read as something other than what the sheet shows.
    """
    from openpyxl import load_workbook  # lazy: only .xlsx tables need it, and it is slow to import

    workbook = load_workbook(path, read_only=False, data_only=True)
    wanted = {e.lower() for e in expected}

    def header_at(sheet) -> int | None:
        for i, row in enumerate(sheet.iter_rows(max_row=15, values_only=True)):
            names = {str(v).strip().lower().replace(" ", "_") for v in row if v is not None}
            if len(names & wanted) >= max(1, len(wanted) // 2):
                return i
        return None

    found = [(sheet, header_at(sheet)) for sheet in workbook.worksheets]
    visible = [(s, h) for s, h in found if h is not None and s.sheet_state == "visible"]
    hidden = [(s, h) for s, h in found if h is not None and s.sheet_state != "visible"]
    if len(visible) > 1:
        names = ", ".join(repr(s.title) for s, _ in visible)
        workbook.close()
        raise SheetProblem(f"has {len(visible)} sheets with this table's columns ({names}), so which one holds "
                           "the figures is not clear.",
                           "keep the table on one sheet and delete the other copies (or move them to another file).")
    if not visible and hidden:
        workbook.close()
        raise SheetProblem(f"holds the table only on the hidden sheet {hidden[0][0].title!r}.",
                           "unhide the sheet (or copy the table to a visible sheet), so what is read is what is seen.")
    if visible:
        sheet, header_index = visible[0]
    else:  # no sheet has the header: the first sheet with anything on it shows what was found instead
        sheet = next((s for s in workbook.worksheets if s.max_row > 1 or s.cell(1, 1).value is not None),
                     workbook.worksheets[0])
        header_index = 0
    # Merged cells: give every cell of a merged range the top-left value, as a reader would.
    for merged in list(sheet.merged_cells.ranges):
        value = sheet.cell(merged.min_row, merged.min_col).value
        sheet.unmerge_cells(str(merged))
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                sheet.cell(row, col).value = value
    values = []
    for cells in sheet.iter_rows():
        row = []
        for cell in cells:
            value = cell.value
            if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(cell.number_format or ""):
                value = PercentCell(value)  # shown as 45%, stored as 0.45
            row.append(value)
        values.append(row)
    hidden_rows = {i for i, dimension in sheet.row_dimensions.items() if dimension.hidden}
    hidden_columns = set()
    for dimension in sheet.column_dimensions.values():
        if dimension.hidden and dimension.min is not None:
            hidden_columns.update(range(dimension.min, (dimension.max or dimension.min) + 1))
    title = sheet.title
    several = len(workbook.worksheets) > 1
    workbook.close()
    _mark_formulas(path, title, values)
    if not values:
        return pd.DataFrame()
    header = [str(v).strip() if v is not None else "" for v in values[header_index]]
    numbered = [(i + 1, r) for i, r in enumerate(values) if i > header_index
                and any(v is not None and str(v).strip() for v in r)]
    frame = pd.DataFrame([["" if v is None else v for v in r[: len(header)]] for _, r in numbered], columns=header, dtype=object)
    frame = frame.loc[:, [h for h in header if h]] if any(header) else frame
    _set_row_numbers(frame, header_index + 1, [line for line, _ in numbered])
    frame.attrs["extra_cells"] = []
    frame.attrs["hidden_rows"] = [i for i, (line, _) in enumerate(numbered) if line in hidden_rows]
    frame.attrs["hidden_columns"] = [h for j, h in enumerate(header, start=1) if h and j in hidden_columns]
    if several:
        frame.attrs["sheet"] = title
    return frame


class SheetProblem(Exception):
    """A workbook whose table cannot be found with confidence: the message and the fix."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


class UnsavedFormula(str):
    """A formula cell whose result was never saved (a file written by a program that does not
    calculate): not an empty cell, and not a value we could compute ourselves."""


class TotalFormula(float):
    """A formula's saved result, where the formula adds up other rows of its own column (=SUM(G2:G40)):
    a totals row, which would be counted twice."""

    formula: str = ""


class PercentCell(float):
    """A number in a cell formatted as a percentage: the sheet shows 45% for the stored 0.45."""


_CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def _adds_up_its_column(formula: str, column: str, row: int) -> bool:
    """True when the formula reads at least two other rows of the cell's own column (a total of the rows)."""
    text = formula.upper()
    if "SUBTOTAL(" in text or "AGGREGATE(" in text or re.search(r"SUM\([^)]*\[", text):
        return True  # an Excel table's totals row (=SUBTOTAL(109,Table1[capacity])), or a sum of a table's column
    rows: set[int] = set()
    for first_col, first_row, last_col, last_row in _CELL_REF.findall(formula.upper()):
        last_col, last_row = last_col or first_col, last_row or first_row
        if first_col == column == last_col:
            low, high = sorted((int(first_row), int(last_row)))
            rows.update(r for r in range(low, min(high, low + 3) + 1) if r != row)
    return len(rows) >= 2


def _mark_formulas(path: Path, title: str, values: list[list]) -> None:
    """Formulas, from the same sheet read a second time: unsaved results, and totals of other rows."""
    from openpyxl import load_workbook  # lazy: only .xlsx tables need it, and it is slow to import
    from openpyxl.utils import get_column_letter

    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        for i, row in enumerate(workbook[title].iter_rows(values_only=True)):
            if i >= len(values):
                break
            for j, formula in enumerate(row):
                if j >= len(values[i]) or not (isinstance(formula, str) and formula.startswith("=")):
                    continue
                if values[i][j] is None:
                    values[i][j] = UnsavedFormula(formula)
                elif isinstance(values[i][j], (int, float)) and _adds_up_its_column(formula, get_column_letter(j + 1), i + 1):
                    total = TotalFormula(values[i][j])
                    total.formula = formula
                    values[i][j] = total
    finally:
        workbook.close()


# ---------------------------------------------------------------- cleaning values

# Word's manual line break (vertical tab) and page break (form feed) mean "new line" to the person
# who typed them; every other C0 control, and the non-characters U+FFFE/U+FFFF, are invisible
# damage that XML (DOCX) and PDF text refuse, so they are refused with their place named.
_LINE_BREAKS = str.maketrans({"\v": "\n", "\f": "\n"})
_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")
# Bidi controls, and the zero-width space, word joiner and stray byte-order mark: invisible, meaningless in these
# labels, and they make two labels that look the same differ ('Home care' and 'Home care\u200b' would be two groups).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> tuple[str, str | None]:
    """(text with line-break controls made line breaks, None) or (text, 'U+0000 at position 3') naming
    the first control character that is refused."""
    if _SPECIAL.search(text) is None:  # nearly always: keep the same string (a new copy per cell costs memory)
        return text, None
    text = _BIDI.sub("", text.translate(_LINE_BREAKS))  # see markup.BIDI_CONTROLS
    found = _CONTROL.search(text)
    if found is None:
        return text, None
    return text, f"U+{ord(found.group()):04X} at position {found.start() + 1}"


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]")  # a space, a non-breaking space, a thin space
_SPACED_THOUSANDS = re.compile(r"^[-+(]?\d{1,3}([ \u00a0\u2009\u202f]\d{3})+(\.\d+)?\)?$")
# What published statistics write instead of a figure: suppressed ([c], *, <5), not available, not applicable.
SUPPRESSION_MARKERS = {"*", "**", "c", "[c]", "x", "[x]", "z", "[z]", "u", "[u]", "w", "[w]", "~", "..", ":", "-", "\u2013",
                       "n/a", "na", "[low]", "[h]", "#n/a", "suppressed", "s", "[s]"}


def _to_number(value: object) -> float | None:
    """Parse a number as analysts write it: '1,234', '£1,234.50', '(1,200)' for negatives, ' 12 '."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("true/false is not a number")
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        return _plausible(float(value))
    text = str(value).strip().replace("\u00a3", "").strip()
    if text in ("", "-", "..", "n/a", "N/A", "NA", "[x]", "[z]"):
        return None
    if _SPACES.search(text):  # '1 234' is a thousands separator; '12 34' is two numbers or a typo
        if not _SPACED_THOUSANDS.match(text):
            raise ValueError("spaces inside a number")
        text = _SPACES.sub("", text)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    number = _plausible(float(text))
    return -number if negative else number


MAX_MAGNITUDE = 1e15  # beyond any count or amount of money in these tables, and exact as a float
MAX_COUNT = 10_000_000  # people, places or population in one row: more than any authority's residents
YEARS = (1950, 2100)  # a calendar year; 25 or 45382 (a spreadsheet date's serial number) is not one


_LOOKS_TOTAL = re.compile(r"(?i)\b(?:sub[-\s]?|grand\s+)?totals?\b|^\s*all(?:\s+[\w-]+){0,2}\s*$")
TOTAL_ROW_FIX = "the row looks like a totals row: remove it (totals are computed from the rows)."


def _number_fix(value: object) -> str:
    """How to write a cell that is not a number, in the words of what it looks like."""
    text = str(value).strip().lower()
    if _LOOKS_TOTAL.search(text):
        return TOTAL_ROW_FIX
    if text in SUPPRESSION_MARKERS or re.fullmatch(r"[<>]\s*\d+", text):
        return (f"{str(value).strip()!r} marks a suppressed or unavailable figure in published statistics; give the "
                "figure, or leave the cell empty where the column allows it (an empty cell is shown as not "
                "available, never as 0).")
    if text.endswith("%"):
        return "write the number without the % sign (45 for 45%)."
    if re.fullmatch(r"[-+]?[\d.,]+\s*(k|m|bn)", text):
        return "write the whole number (1200 for 1.2k)."
    if text.startswith("#"):
        return "the cell holds a spreadsheet error; correct the formula or type the figure."
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}( 00:00:00)?", text):
        return "the cell is a date; format it as a number and type the year (e.g. 2025)."
    return "write digits only, e.g. 1234 or 1,234 (or 1 234)."


def _plausible(number: float) -> float:
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise ValueError("not a plausible number")
    return number


def _validate_frame(frame: pd.DataFrame, schema: Table, file: str, problems: list[Problem],
                    extra_check: Callable[[pd.DataFrame, Callable], None] | None = None,
                    rows: "RowNumbers | None" = None) -> pd.DataFrame | None:
    first_row = frame.attrs.get("first_data_row", 2)
    if frame.empty and not len(frame.columns) and not frame.attrs.get("header"):
        problems.append(Problem(file, "is empty.", fix=f"it needs a header row with: {', '.join(schema.column_names)}."))
        return None
    # Match header names leniently (case, surrounding spaces) but report real renames.
    lookup = {str(c).strip().lower().replace(" ", "_"): c for c in frame.columns}
    header_row = first_row - 1
    normalised = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    repeated = sorted({n for n in normalised if n and normalised.count(n) > 1 and n in schema.column_names})
    if repeated:
        for name in repeated:
            positions = [i + 1 for i, n in enumerate(normalised) if n == name]
            problems.append(Problem(file, f"has {len(positions)} columns named '{name}' (columns "
                                          f"{', '.join(map(str, positions))} of the header row).",
                                    field=name, line=header_row, fix="keep one of them, or rename the others."))
        return None
    rename = {}
    missing = []
    for column in schema.columns:
        if column.name in lookup:
            rename[lookup[column.name]] = column.name
        elif column.required:
            missing.append(column.name)
    if missing:
        known = [str(c) for c in frame.attrs.get("header", frame.columns)]
        problems.append(Problem(
            file, f"is missing the column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
                  f"(found: {', '.join(repr(k) for k in known) or 'none'}).",
            field=missing[0], line=header_row,
            fix=f"name the header row exactly: {', '.join(schema.column_names)}."))
        return None
    if frame.empty:
        problems.append(Problem(file, "has a header but no rows.", fix="add the data rows, or delete the file if the table is not used."))
        return None

    error_count = 0

    def bad(row_index: int, column: str, message: str, fix: str = "") -> None:
        nonlocal error_count
        error_count += 1
        if error_count <= 20:  # a whole column of bad values should not bury everything else
            problems.append(Problem(file, message, field=column, line=row_number(frame, row_index), fix=fix))

    for index in frame.attrs.get("extra_cells", []):
        bad(index, "", f"row {row_number(frame, index)} has more cells than the header row.",
            "check for a stray separator or an unquoted comma (write 1234, not 1,234 without quotes).")
    sheet = f" of the sheet {frame.attrs['sheet']!r}" if frame.attrs.get("sheet") else ""
    hidden = frame.attrs.get("hidden_rows", [])
    if hidden:  # hidden by hand or by a filter: read all the same, so the sheet shows less than is read
        shown = ", ".join(str(row_number(frame, i)) for i in hidden[:10]) + (" ..." if len(hidden) > 10 else "")
        bad(hidden[0], "", f"row{'s' if len(hidden) > 1 else ''} {shown}{sheet} {'are' if len(hidden) > 1 else 'is'} "
            "hidden, but would be read like every other row.",
            "unhide the rows (or clear the filter) and delete any that should not count.")
    for name in frame.attrs.get("hidden_columns", []):
        if str(name).strip().lower().replace(" ", "_") in schema.column_names:
            problems.append(Problem(file, f"the column '{name}'{sheet} is hidden, but would be read.", field=str(name),
                                    line=header_row, fix="unhide the column and check its figures."))
            error_count += 1

    # Take the cells out of the frame and free it (in place: the caller holds it too), so a big
    # table's cells are held once while they are checked; the checked frame is built from the columns.
    original = {name: label for label, name in rename.items()}
    raw = {column.name: frame[original[column.name]].tolist() if column.name in original else [None] * len(frame)
           for column in schema.columns}
    for label in dict.fromkeys(frame.columns):
        del frame[label]
    checked: dict[str, object] = {}
    for column in schema.columns:
        values = raw.pop(column.name)
        cleaned: list = []
        for i, value in enumerate(values):
            if isinstance(value, UnsavedFormula):
                bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is the formula {str(value)[:60]!r}, "
                    "whose result was never saved in the file.",
                    "open the file in Excel (or LibreOffice) and save it, so the results are stored; or paste the values.")
                cleaned.append(None)
                continue
            blank = value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value)
            if blank:
                if not column.blank_ok:
                    bad(i, column.name, f"row {row_number(frame, i)} has no value in '{column.name}'.", "fill it in.")
                cleaned.append(None)
                continue
            if column.kind in ("int", "float"):
                if isinstance(value, TotalFormula):
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is the formula {value.formula[:60]!r}, "
                        "which adds up other rows, so the row looks like a total and would be counted twice.",
                        "remove the totals row: totals are computed from the rows.")
                    cleaned.append(None)
                    continue
                if isinstance(value, PercentCell):
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is formatted as a percentage, so the "
                        f"sheet shows {value * 100:g}% but the cell holds {value:g}.",
                        f"format the column as a number and type the figure as it should be read ({value * 100:g} "
                        "for a percentage).")
                    cleaned.append(None)
                    continue
                try:
                    number = _to_number(value)
                except ValueError:
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' should be a number but is {str(value)!r}.",
                        _number_fix(value))
                    cleaned.append(None)
                    continue
                if number is None:
                    if not column.blank_ok:
                        bad(i, column.name, f"row {row_number(frame, i)} has no value in '{column.name}'.", "fill it in.")
                    cleaned.append(None)
                    continue
                if column.kind == "int" and number != int(number):
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' should be a whole number but is {value!r}.",
                        "counts of people or places are whole numbers.")
                if column.non_negative and number < 0:
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' cannot be negative ({value!r}).",
                        "counts and costs are zero or more; income belongs in the budget table as a negative amount.")
                elif column.meaning == "year" and not YEARS[0] <= number <= YEARS[1]:
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is {value!r}, which is not a year.",
                        "write the four-digit calendar year, e.g. 2025 (a spreadsheet date shows as a number like 45382).")
                elif column.meaning == "count" and number > MAX_COUNT:
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is {number:,.0f}, more people or places "
                        "than any authority has.", "check the figure (a total or a figure in the wrong units?).")
                cleaned.append(int(number) if column.kind == "int" else number)
            else:
                text = str(value).strip()
                if column.kind == "text" and isinstance(value, float) and value == int(value):
                    text = str(int(value))
                text, control = clean_text(text)
                text = text.strip()  # again: an invisible character may have stood after a space
                if control is not None:
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' holds the control character {control}.",
                        "delete it (it is invisible in a spreadsheet; retype the text around it if unsure).")
                    cleaned.append(None)
                    continue
                if column.allowed is not None and text not in column.allowed:
                    match = [a for a in column.allowed if a.lower() == text.lower()]
                    if match:
                        text = match[0]
                    else:
                        bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is {text!r}, which is not allowed.",
                            (TOTAL_ROW_FIX + " Otherwise u" if _LOOKS_TOTAL.search(text) else "u")
                            + f"se one of: {', '.join(column.allowed)}.")
                if column.pattern and not re.match(column.pattern, text):
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is {text!r}, which is not in the expected form.",
                        "write financial years as 2026/27." if column.pattern == FINANCIAL_YEAR else f"match {column.pattern}.")
                elif column.pattern == FINANCIAL_YEAR and int(text[5:7]) != (int(text[:4]) + 1) % 100:
                    bad(i, column.name, f"row {row_number(frame, i)}: '{column.name}' is {text!r}, which is not a financial "
                        f"year ({text[:4]}/{(int(text[:4]) + 1) % 100:02d} is the year from April {text[:4]}).",
                        "write the two years of the financial year, the second one after the first (2026/27).")
                cleaned.append(text)
        if column.kind == "int" and None not in cleaned:
            checked[column.name] = np.array(cleaned, dtype="int64")  # not a column of Python ints: 4 times smaller
        elif column.kind == "float":
            checked[column.name] = np.array([math.nan if v is None else v for v in cleaned], dtype="float64")
        else:
            checked[column.name] = np.array(cleaned, dtype=object)
        del cleaned, values
    attrs = dict(frame.attrs)
    frame = pd.DataFrame(checked)
    frame.attrs.update(attrs)
    del checked

    duplicated = frame.duplicated(subset=list(schema.key), keep="first")
    for i in [int(x) for x in frame.index[duplicated]]:
        key = ", ".join(f"{k}={_plain(frame.at[i, k])!r}" for k in schema.key)
        bad(i, schema.key[0], f"row {row_number(frame, i)} repeats an earlier row ({key}).",
            "remove the duplicate or correct the key columns.")

    if extra_check is not None:
        extra_check(frame, bad)
    if error_count > 20:
        problems.append(Problem(file, f"has {error_count - 20} more problems like these not listed.", fix="fix the ones above first."))
    if error_count:
        return None
    if rows is not None:
        rows.first, rows.numbers = first_row, frame.attrs.get("row_numbers")
    for name in ("row_numbers", "extra_cells", "header"):
        frame.attrs.pop(name, None)
    for column in schema.columns:
        if column.kind == "int" and not frame[column.name].isna().any():
            frame[column.name] = frame[column.name].astype("int64")
        elif column.kind in ("int", "float"):
            frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce").astype("float64")
    return frame[schema.column_names].reset_index(drop=True)


@dataclass
class RowNumbers:
    """Where a checked table's rows are in its file, for problems found after loading (checks.py)."""

    file: str = ""
    first: int = 2
    numbers: tuple[int, ...] | None = None  # only when blank rows left gaps

    def row(self, index: int) -> int:
        if self.numbers is not None and 0 <= index < len(self.numbers):
            return self.numbers[index]
        return self.first + index


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (so messages say 2025, not np.int64(2025))."""
    return value.item() if hasattr(value, "item") else value


def read_table(path: Path, table: str, display_name: str, problems: list[Problem],
               extra_check: Callable | None = None, rows: RowNumbers | None = None,
               schema: Table | None = None) -> pd.DataFrame | None:
    """Read one table file and check it against its schema (or `schema`). Raw data is never modified."""
    schema = schema or TABLES[table]
    try:
        if path.suffix.lower() == ".xlsx":
            frame = _read_xlsx(path, schema.column_names)
        else:
            frame = _read_csv(path, schema.column_names)
    except SheetProblem as exc:
        problems.append(Problem(display_name, exc.message, fix=exc.fix))
        return None
    except Exception as exc:  # noqa: BLE001 - any unreadable file becomes one clear problem
        reason = str(exc).replace(str(path), display_name).replace(str(path.parent), "") or type(exc).__name__
        problems.append(Problem(display_name, f"cannot be read as {'a spreadsheet' if path.suffix.lower() == '.xlsx' else 'CSV'} ({reason}).",
                                fix="check it is a CSV or XLSX file saved by a spreadsheet program."))
        return None
    return _validate_frame(frame, schema, display_name, problems, extra_check, rows)


@dataclass
class AuthorityData:
    """Every data table of one authority, checked."""

    population: pd.DataFrame
    service_users: pd.DataFrame
    providers: pd.DataFrame
    budget: pd.DataFrame
    unit_costs: pd.DataFrame
    indicators: pd.DataFrame
    files: dict[str, Path]
    rows: dict[str, RowNumbers] = field(default_factory=dict)  # table -> where its rows are in its file

    def has(self, table: str) -> bool:
        """True when the authority supplied this table (an absent table leaves its sections out)."""
        return table in self.files

    def for_client_group(self, client_group: str, covers: Iterable[str] = ()) -> "AuthorityData":
        """The rows of one client group. A group that covers others (`covers:` in its file, e.g.
        all adults) gets the sum of its own and the covered groups' counts, places and money;
        unit costs and indicator values are rates, which do not add, so only its own rows."""
        def only(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["client_group"] == client_group].reset_index(drop=True)

        groups = [client_group, *covers]
        if len(groups) == 1:
            return AuthorityData(self.population, only(self.service_users), only(self.providers), only(self.budget),
                                 only(self.unit_costs), only(self.indicators), self.files)
        return AuthorityData(self.population, summed_groups(self.service_users, groups, client_group, "service_users"),
                             summed_groups(self.providers, groups, client_group, "providers"),
                             summed_groups(self.budget, groups, client_group, "budget"),
                             only(self.unit_costs), only(self.indicators), self.files)


def empty_table(table: str) -> pd.DataFrame:
    """An absent table: no rows, the schema's columns, so every consumer sees 'no data'."""
    dtypes = {"int": "int64", "float": "float64", "text": "object", "bool": "bool"}
    return pd.DataFrame({c.name: pd.Series([], dtype=dtypes[c.kind]) for c in TABLES[table].columns})


# What a covering client group sums, per table: the rows' key without client_group, and the columns added.
_SUMMED = {
    "service_users": (("year", "service_type", "area_code"), ("people", "out_of_area")),
    "providers": (("provider_id", "service_type"), ("capacity", "occupied")),
    "budget": (("financial_year", "group", "line"), ("amount",)),
}


def summed_groups(frame: pd.DataFrame, groups: list[str], as_group: str, table: str) -> pd.DataFrame:
    """The covered groups' rows added up under one key, in the order they first appear."""
    key, added = _SUMMED[table]
    part = frame[frame["client_group"].isin(groups)]
    if part.empty:
        return part.reset_index(drop=True)
    others = {c: "first" for c in frame.columns if c not in key and c not in added and c != "client_group"}
    # a blank stays blank (not recorded) when no covered group records the figure
    sums = {c: (lambda s: s.sum(min_count=1)) for c in added}
    out = part.groupby(list(key), sort=False, dropna=False).agg({**sums, **others}).reset_index()
    return out.assign(client_group=as_group)[list(frame.columns)]


def data_files(workspace: Path, authority_id: str) -> dict[str, Path | None]:
    folder = Path(workspace) / "data" / authority_id
    return {table: find_table_file(folder, table) for table in TABLES}


def load_authority_data(workspace: Path, authority_id: str, area_codes: set[str], nation: str,
                        client_groups: set[str] | None = None) -> AuthorityData:
    """Load and check every table for one authority; raise DataError with every problem found."""
    workspace = Path(workspace)
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    files: dict[str, Path] = {}
    rows: dict[str, RowNumbers] = {}
    from strategy_docs.inputs.checks import did_you_mean  # lazy: checks imports data (a circle)
    from strategy_docs.inputs.params import is_inside  # lazy: params -> yamlio -> data (a circle)
    for table, path in data_files(workspace, authority_id).items():
        if path is None:
            links = [(c, link_problem(c, workspace)) for c in table_candidates(workspace / "data" / authority_id, table)]
            linked = [(c, reason) for c, reason in links if reason]
            if linked:
                problems.extend(Problem(c.relative_to(workspace).as_posix(), reason + ".",
                                        fix="replace the link with a copy of the file, inside the workspace.")
                                for c, reason in linked)
                continue
            frames[table] = empty_table(table)  # optional: the sections that need it are left out
            continue
        display = path.relative_to(workspace).as_posix()
        if not is_inside(path, workspace):
            problems.append(Problem(display, "is a link to a file outside the workspace.", fix="copy the file into the workspace."))
            continue
        files[table] = path

        def checks(frame: pd.DataFrame, bad: Callable, table: str = table) -> None:
            if "area_code" in frame.columns:
                for i, code in enumerate(frame["area_code"]):
                    if code is not None and code not in area_codes:
                        bad(i, "area_code", f"row {row_number(frame, i)}: unknown area code {code!r}.",
                            did_you_mean(code, area_codes)
                            + f"use one of the authority's locality codes: {', '.join(sorted(area_codes))}.")
            if client_groups is not None and "client_group" in frame.columns:
                for i, group in enumerate(frame["client_group"]):
                    if group is not None and group not in client_groups:
                        bad(i, "client_group", f"row {row_number(frame, i)}: unknown client group {group!r}.",
                            did_you_mean(group, client_groups) + f"use one of: {', '.join(sorted(client_groups))}.")
            if table == "providers":
                allowed = RATINGS[nation]
                for i, rating in enumerate(frame["quality_rating"]):
                    if rating is not None and rating not in allowed:
                        bad(i, "quality_rating", f"row {row_number(frame, i)}: rating {rating!r} is not a "
                            f"{'CIW' if nation == 'wales' else 'CQC'} rating.", f"use one of: {', '.join(allowed)}.")
                for i, (cap, occ) in enumerate(zip(frame["capacity"], frame["occupied"])):
                    if isinstance(cap, (int, float)) and isinstance(occ, (int, float)) and occ > cap:
                        bad(i, "occupied", f"row {row_number(frame, i)}: occupied ({occ}) is more than capacity ({cap}).",
                            "check both figures.")
            if table == "unit_costs":
                for column in ("unit_cost", "comparator_average"):
                    for i, cost in enumerate(frame[column]):
                        if cost == 0:
                            bad(i, column, f"row {row_number(frame, i)}: '{column}' is 0, and a service costs something.",
                                "give the cost; leave comparator_average empty where there is no comparator, and "
                                "remove the row for a service not bought.")
            if table == "service_users":
                for i, (people, away) in enumerate(zip(frame["people"], frame["out_of_area"])):
                    if isinstance(people, (int, float)) and isinstance(away, (int, float)) and away > people:
                        bad(i, "out_of_area", f"row {row_number(frame, i)}: out_of_area ({away}) is more than people ({people}).",
                            "out_of_area counts the people placed outside the authority, so it cannot exceed people.")

        rows[table] = RowNumbers(display)
        frame = read_table(path, table, display, problems, checks, rows[table])
        if frame is not None:
            frames[table] = frame
    if [p for p in problems if p.severity == "error"]:
        raise DataError(problems)
    return AuthorityData(files=files, rows=rows, **frames)
