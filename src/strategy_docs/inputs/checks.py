"""Semantic cross-checks between params and data, run by `validate` after both have loaded.

The schema checks in data.py and params.py see one file at a time. These see the two together
and catch what would otherwise publish a wrong figure without a word, or fail a section mid-build
in internal words: totals rows left in a table (doubling a budget), two files for one source,
ids in the data that params do not know (a typo drops people from a table), values out of the
range their unit allows, and inputs a section needs but does not have. Each problem names the
file, the row or line, the field and the fix.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from strategy_docs.errors import Problem
from strategy_docs.inputs.workspace import YAML_SUFFIXES, duplicate_sources, link_problems
from strategy_docs.analysis import needs, resources
from strategy_docs.inputs.data import RowNumbers, TABLE_SUFFIXES, summed_groups
from strategy_docs.inputs.schema import TABLES
from strategy_docs.inputs.yamlio import read_yaml

if TYPE_CHECKING:
    import pandas as pd

    from strategy_docs.inputs.data import AuthorityData, RowNumbers
    from strategy_docs.inputs.params import Params

MAX_LISTED = 10  # problems of one kind per file; the rest are counted


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """"did you mean 'X'? " for the closest known value, or "" when nothing is close."""
    close = difflib.get_close_matches(str(value), sorted(set(choices)), n=1, cutoff=0.6)
    if not close:  # a case or spacing slip ("domiciliary care ") is not always close by ratio
        folded = {re.sub(r"\s+", " ", c).strip().lower(): c for c in choices}
        hit = folded.get(re.sub(r"\s+", " ", str(value)).strip().lower())
        close = [hit] if hit else []
    return f"did you mean {close[0]!r}? " if close else ""


# ---------------------------------------------------------------- sources (files)


def source_problems(root: Path) -> list[Problem]:
    """Two files for one source, and links that loop or leave the workspace, among params and data."""
    root = Path(root)
    params = root / "params"
    problems = link_problems([params / "project.yaml"], root)
    problems += duplicate_sources(params, root, YAML_SUFFIXES, "parameters file")
    for folder in ("authorities", "client-groups"):
        problems += duplicate_sources(params / folder, root, YAML_SUFFIXES, "parameters file")
    strategies = params / "strategies"
    if strategies.is_dir():
        for folder in sorted(p for p in strategies.iterdir() if p.is_dir()):
            problems += duplicate_sources(folder, root, YAML_SUFFIXES, "strategy file")
    data = root / "data"
    if data.is_dir():
        authorities = {p.stem for p in (params / "authorities").glob("*.y*ml")} if (params / "authorities").is_dir() else set()
        for folder in sorted(p for p in data.iterdir() if p.is_dir()):
            found = duplicate_sources(folder, root, TABLE_SUFFIXES + (".xls", ".xlsm", ".ods", ".tsv"), "data table")
            problems += [p for p in found if Path(p.file).stem.lower() in TABLES]
            problems += _unread_tables(folder, root)
            if folder.name not in authorities:
                meant = [a for a in authorities if a.casefold() == folder.name.casefold() and not (data / a).is_dir()]
                meant = meant or [a for a in difflib.get_close_matches(folder.name, sorted(authorities), n=1, cutoff=0.8)
                                  if not (data / a).is_dir()]
                if meant:
                    problems.append(Problem(folder.relative_to(root).as_posix(), f"is not read: the data of the authority "
                                            f"'{meant[0]}' is read from data/{meant[0]}/ (names are exact, capitals "
                                            "included).", fix=f"rename the folder to data/{meant[0]}."))
    return problems


_TABLE_FILE = re.compile(r"(?i)^(?P<stem>.+?)(?:\s*\(\d+\)|\s*-\s*copy|\s+copy)?(?P<suffix>(?:\.[a-z]{2,4}){1,2})$")
_SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsm", ".ods", ".tsv", ".txt")


def _unread_tables(folder: Path, root: Path) -> list[Problem]:
    """Files named almost like a table (Budget.csv, budgets.csv, budget.xls, budget (1).csv): only
    budget.csv or budget.xlsx is read, so the table would be left out, and its sections with it, silently."""
    exact = {f"{t}{s}" for t in TABLES for s in TABLE_SUFFIXES}
    problems = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name in exact or path.name.startswith((".", "~$")):
            continue
        match = _TABLE_FILE.match(path.name)
        if match is None or not match["suffix"].lower().endswith(_SPREADSHEET_SUFFIXES):
            continue
        stem = re.sub(r"[\s-]+", "_", match["stem"].strip().lower())
        table = stem if stem in TABLES else next(iter(difflib.get_close_matches(stem, sorted(TABLES), n=1, cutoff=0.85)), None)
        if table is None:
            continue
        suffix = match["suffix"].lower()
        how = (f"rename it {table}.csv" if suffix.endswith((".csv", ".txt", ".tsv")) else
               f"rename it {table}.xlsx" if suffix.endswith(".xlsx") else
               f"save it as {table}.xlsx (or {table}.csv) from the spreadsheet program")
        problems.append(Problem(path.relative_to(root).as_posix(), f"is not read: the {table} table is read only from "
                                f"{table}.csv or {table}.xlsx (names are exact, capitals included), so its sections "
                                "would be left out.", fix=how + (", and delete the other copy." if
                                                                 any((folder / n).is_file() for n in
                                                                     (f"{table}.csv", f"{table}.xlsx")) else ".")))
    return problems


# ---------------------------------------------------------------- data against params


# A label that names a total: "Total", "Sub-total", "Grand total", "Net total expenditure", "All services".
# A whole nation or an average stands for every row too: "England", "Wales average", "Overall", "Mean".
_TOTAL_LABEL = re.compile(r"(?i)\b(?:sub[-\s]?)?totals?\b|^\s*all(?:\s+[\w-]+){0,2}\s*$"
                          r"|^\s*(?:england|wales|scotland|northern ireland|united kingdom|uk|great britain|"
                          r"england and wales)(?:\s+(?:average|mean|overall))?\s*$|^\s*(?:average|mean|overall|sum)\s*$")
# Free-text columns where a totals row shows itself by its label (the rest have fixed vocabularies).
_LABEL_COLUMNS = {
    "budget": ("group", "line"),
    "service_users": ("service_type",),
    "providers": ("provider_id", "provider_name", "service_type"),
    "unit_costs": ("service_type",),
    "indicators": ("indicator_id",),
}
COUNT_UNITS = {"count", "rate per 100,000", "rate per 10,000", "rate per 1,000", "days", "weeks", "years"}


class _Collector:
    """Problems for one data file, at most MAX_LISTED of each kind."""

    def __init__(self, rows: "RowNumbers"):
        self.rows = rows
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}

    def add(self, kind: str, index: int | None, field: str, message: str, fix: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= MAX_LISTED:
            line = self.rows.row(index) if index is not None else None
            prefix = f"row {line}: " if line is not None else ""
            self.problems.append(Problem(self.rows.file, prefix + message, field=field, line=line, fix=fix))

    def finish(self) -> list[Problem]:
        for kind, count in self.counts.items():
            if count > MAX_LISTED:
                self.problems.append(Problem(self.rows.file, f"has {count - MAX_LISTED} more rows like these ({kind}).",
                                             fix="fix the ones listed first; the same fix applies."))
        return self.problems


def data_problems(params: "Params", authority_id: str, data: "AuthorityData") -> list[Problem]:
    """Every cross-check between one authority's data and the params of its documents."""
    groups = sorted(g for a, g in params.strategies if a == authority_id)
    problems: list[Problem] = []
    collectors: dict[str, _Collector] = {}

    def at(table: str) -> _Collector:
        if table not in collectors:
            rows = data.rows.get(table) or RowNumbers(f"data/{authority_id}/{table}.csv")
            collectors[table] = _Collector(rows)
        return collectors[table]

    known = {"service_type": {t for g in params.client_groups.values() for t in (getattr(g, "service_types", None) or [])},
             "indicator_id": {i.id for (a, _), s in params.strategies.items() if a == authority_id
                              for i in (getattr(s, "indicators", None) or [])}}
    totals_rows = _totals_rows(data, at, known)
    _unknown_ids(params, authority_id, data, at, totals_rows)
    _spellings(data, at, totals_rows)
    _indicator_ranges(params, authority_id, data, at)
    _future_years(params, data, at)
    _population_coverage(params, authority_id, data, at)
    for table in collectors:
        problems += collectors[table].finish()
    for group in groups:
        problems += _section_needs(params, authority_id, group, data)
        problems += _hypothesis_tests(params, authority_id, group, data)
    return problems


# ---------------------------------------------------------------- hypothesis tests against the data

# The data tables each metric is worked out from.
_METRIC_TABLES = {"need_change_percent": ("population",), "unmet_need_percent": ("population", "service_users"),
                  "capacity_gap": ("population", "service_users", "providers"), "occupancy_percent": ("providers",),
                  "good_or_better_percent": ("providers",), "concentration_hhi": ("providers",),
                  "out_of_area_percent": ("service_users",), "unit_cost_vs_comparator_percent": ("unit_costs",),
                  "spend_share_percent": ("budget",), "indicator_latest": ("indicators",),
                  "indicator_change": ("indicators",)}
# The table each metric's `service_type` is looked up in.
_SERVICE_TABLE = {"occupancy_percent": "providers", "good_or_better_percent": "providers", "concentration_hhi": "providers",
                  "unit_cost_vs_comparator_percent": "unit_costs", "out_of_area_percent": "service_users"}


def _hypothesis_tests(params: "Params", authority_id: str, group_id: str, data: "AuthorityData") -> list[Problem]:
    """Each hypothesis test worked out now, on the document's data. A test that names what the data
    does not hold (a year, a budget group, an indicator or a service type without figures) is an
    error: a slip would otherwise be published as "inconclusive". A test the data cannot settle for
    another reason is a warning, and one that would fail the section is an error."""
    from strategy_docs.analysis import hypotheses as tests
    from strategy_docs.analysis import resources as money
    from strategy_docs.sections.context import StrategyContext
    from strategy_docs.sections.content import indicator_labels

    strategy = params.strategies[(authority_id, group_id)]
    tested = [(i, h) for i, h in enumerate(getattr(strategy, "hypotheses", None) or []) if h.test is not None]
    group, authority = params.client_groups.get(group_id), params.authorities.get(authority_id)
    if not tested or group is None or authority is None:
        return []
    file = f"params/strategies/{authority_id}/{group_id}.yaml"
    path = params.files.get(f"strategy:{authority_id}/{group_id}")
    lines = read_yaml(path, file)[1] if path is not None else None
    problems: list[Problem] = []

    def problem(i: int, where: tuple, message: str, fix: str, severity: str = "error") -> None:
        loc = ("hypotheses", i, "test", *where)
        problems.append(Problem(file, message, field=f"hypotheses[{strategy.hypotheses[i].id}].test" +
                                "".join(f".{w}" for w in where), line=lines.line_for(loc) if lines else None,
                                fix=fix, severity=severity))

    part = data.for_client_group(group_id, getattr(group, "covers", None) or [])
    ctx = StrategyContext(params.workspace, params.project, authority_id, authority, group_id, group, strategy, part)
    inputs = ctx.analysis_inputs()
    leave_out = "or leave out 'test' (the hypothesis is then shown without a verdict)."
    years = sorted(int(y) for y in inputs.population["year"].dropna().unique()) if part.has("population") else []
    labels = indicator_labels(strategy)
    for i, h in tested:
        metric, args = h.test.metric, h.test.args
        missing = [t for t in _METRIC_TABLES.get(metric, ()) if not part.has(t)]
        if missing:
            problem(i, ("metric",), f"the metric '{metric}' is worked out from "
                                    f"{' and '.join(f'data/{authority_id}/{t}.csv' for t in missing)}, which "
                                    f"{'is' if len(missing) == 1 else 'are'} not supplied.",
                    f"add the data, {leave_out}")
            continue
        before = len(problems)
        for name in ("year", "from_year", "to_year"):
            if name in args and int(args[name]) not in years:
                problem(i, ("args", name), f"asks for {args[name]}, but the population data covers "
                                           f"{years[0]} to {years[-1]}." if years else
                        f"asks for {args[name]}, but the population data has no years.",
                        f"use a year from {years[0]} to {years[-1]}, {leave_out}" if years else leave_out)
        if "from_year" in args and "to_year" in args and int(args["from_year"]) >= int(args["to_year"]):
            problem(i, ("args", "to_year"), f"the change from {args['from_year']} to {args['to_year']} runs "
                                            "backwards or over no time.", f"give a to_year after from_year, {leave_out}")
        if metric == "spend_share_percent":
            known = [str(g) for g in money.budget_summary(inputs.budget).groups["group"]]
            if str(args.get("group")) not in known:
                problem(i, ("args", "group"), f"the budget has no group {args.get('group')!r}.",
                        did_you_mean(args.get("group"), known) + f"use one of: {', '.join(known)}; {leave_out}")
        if metric.startswith("indicator_"):
            rows = inputs.indicators[inputs.indicators["indicator_id"] == args.get("indicator_id")]
            if rows.empty:
                problem(i, ("args", "indicator_id"), f"the indicator '{args.get('indicator_id')}' has no figures in "
                                                     f"data/{authority_id}/indicators for {group_id}.",
                        f"add its figures, test another indicator, {leave_out}")
        table = _SERVICE_TABLE.get(metric)
        if table is not None and "service_type" in args:
            frame = getattr(inputs, table)
            if not (frame["service_type"] == args["service_type"]).any():
                problem(i, ("args", "service_type"), f"data/{authority_id}/{table} has no {group_id} rows for "
                                                     f"{args['service_type']!r}.",
                        f"add them, test another service type, {leave_out}")
        if len(problems) > before:
            continue
        try:
            tests.evaluate_metric(metric, args, inputs, labels)
        except tests.CannotCompute as exc:
            problem(i, ("metric",), f"the data cannot settle this test ({exc}), so the hypothesis would be shown as "
                                    "inconclusive.", f"add the figures it needs, {leave_out}", severity="warning")
        except ValueError:
            pass  # an unknown metric, argument or measure: check_strategy has said so
        except Exception as exc:  # noqa: BLE001 - whatever would fail the section is said here, before a build
            problem(i, ("metric",), f"the test cannot be worked out on the data ({type(exc).__name__}: {exc}).",
                    f"check the test's args, {leave_out}")
    return problems


def _supplied(data: "AuthorityData", table: str) -> bool:
    """An absent table is not an empty one: its sections are left out, so nothing is checked."""
    has = getattr(data, "has", None)
    return has(table) if has is not None else getattr(data, table, None) is not None


def _frame(data: "AuthorityData", table: str) -> "pd.DataFrame | None":
    frame = getattr(data, table, None) if _supplied(data, table) else None
    return frame if frame is not None and len(frame) else None


def _totals_rows(data: "AuthorityData", at, known: dict[str, set[str]]) -> dict[str, set[int]]:
    """Rows that are totals of other rows: by their label, or (budget) by their amount."""
    found: dict[str, set[int]] = {}
    fix = "remove the row; totals are computed from the lines (and stated totals go in budget_totals in the strategy file)."
    fixes = {"budget": fix, "providers": "remove the row; totals are computed from the providers' rows.",
             "service_users": "remove the row; totals are computed from the rows.",
             "unit_costs": "remove the row; comparator averages go in comparator_average, on each service's row.",
             "indicators": "remove the row; comparator averages go in comparator_average, on each indicator's row."}
    for table, columns in _LABEL_COLUMNS.items():
        frame = _frame(data, table)
        if frame is None:
            continue
        for column in columns:
            for index, value in enumerate(frame[column].tolist()):
                if value in known.get(column, ()):
                    continue  # a service type or indicator the params name ("All-age advocacy") is not a total
                if isinstance(value, str) and _TOTAL_LABEL.search(value) and index not in found.get(table, set()):
                    found.setdefault(table, set()).add(index)
                    at(table).add("totals rows", index, column, f"{value!r} looks like a total or subtotal row, "
                                  "which would be counted twice.", fixes[table] + " If it is a real line, reword its label.")
    budget = _frame(data, "budget")
    if budget is not None:
        for index, what, others in _sum_rows(budget):
            if index in found.get("budget", set()):
                continue
            line, group = str(budget["line"].iloc[index]), str(budget["group"].iloc[index])
            # Two lines can add up to a third by chance (50,000 + 50,000 = 100,000); three or more,
            # or a line named after its group, cannot plausibly.
            sure = others >= 3 or line.strip().lower() == group.strip().lower()
            message = (f"the amount {budget['amount'].iloc[index]:,.2f} equals the sum of the other {others} lines {what}, "
                       "so it looks like a total row.")
            if sure:
                found.setdefault("budget", set()).add(index)
                at("budget").add("totals rows", index, "amount", message, fix)
            else:
                rows = at("budget").rows
                at("budget").problems.append(Problem(rows.file, f"row {rows.row(index)}: {message}", field="amount",
                                                     line=rows.row(index), severity="warning",
                                                     fix="if it is a total, remove the row; if the figures are real, "
                                                         "nothing to do."))
    providers = _frame(data, "providers")
    if providers is not None:
        for index, others in _provider_sum_rows(providers):
            if index not in found.get("providers", set()):
                found.setdefault("providers", set()).add(index)
                at("providers").add("totals rows", index, "capacity",
                                    f"capacity and occupied equal the sums of the other {others} rows of the service "
                                    "type, so the row looks like a total.", fixes["providers"])
    return found


def _provider_sum_rows(providers: "pd.DataFrame") -> list[tuple[int, int]]:
    """(row, how many other rows) for providers rows whose capacity and occupied places are both the sums of
    at least two other rows of their client group and service type: two coincidences at once are not chance."""
    out = []
    for _, part in providers.groupby(["client_group", "service_type"], sort=False):
        if len(part) < 3:
            continue
        capacity, occupied = part["capacity"].astype(float), part["occupied"].astype(float)
        cap_total, occ_total = float(capacity.sum()), float(occupied.sum())
        for index, cap, occ in zip(part.index, capacity, occupied):
            if cap > 0 and cap == cap_total - cap and occ == occ_total - occ:
                out.append((int(index), len(part) - 1))
    return out


def _sum_rows(budget: "pd.DataFrame") -> list[tuple[int, str, int]]:
    """(row, where, how many other lines) for budget lines whose amount is the sum of at least two
    other lines of their group, or of their year: of all of them (a net total), of the other spending
    lines (a gross expenditure row) or of the other income lines (a total income row)."""
    out = []
    for keys, what in ((["financial_year", "client_group", "group"], "in its group"),
                       (["financial_year", "client_group"], "for the year")):
        for _, part in budget.groupby(keys, sort=False):
            if len(part) < 3:
                continue
            amounts = part["amount"].astype(float)
            total = float(amounts.sum())
            gross, income = float(amounts[amounts > 0].sum()), float(amounts[amounts < 0].sum())
            spending, incomes = int((amounts > 0).sum()), int((amounts < 0).sum())
            for index, amount in zip(part.index, amounts):
                if amount != 0 and math.isclose(amount, total - amount, abs_tol=0.5):
                    out.append((int(index), what, len(part) - 1))
                elif amount > 0 and spending >= 3 and math.isclose(amount, gross - amount, abs_tol=0.5):
                    out.append((int(index), what + " that are spending", spending - 1))
                elif amount < 0 and incomes >= 3 and math.isclose(amount, income - amount, abs_tol=0.5):
                    out.append((int(index), what + " that are income", incomes - 1))
    best: dict[int, tuple[int, str, int]] = {}
    for found in out:  # a row found in its group and its year: report the surer finding
        if found[0] not in best or found[2] > best[found[0]][2]:
            best[found[0]] = found
    return sorted(best.values())


def _unknown_ids(params: "Params", authority_id: str, data: "AuthorityData", at, skip: dict[str, set[int]]) -> None:
    strategies = {g: s for (a, g), s in params.strategies.items() if a == authority_id}
    indicators = _frame(data, "indicators")
    if indicators is not None:
        for index, (group, ident) in enumerate(zip(indicators["client_group"], indicators["indicator_id"])):
            strategy = strategies.get(group)
            known = [i.id for i in (getattr(strategy, "indicators", None) or [])]
            if not known or index in skip.get("indicators", set()) or ident in known:
                continue  # a strategy that states no indicators shows none: its rows are unused, not wrong
            at("indicators").add("unknown indicators", index, "indicator_id",
                                 f"the indicator {ident!r} is not one of the {group} strategy's indicators.",
                                 did_you_mean(ident, known) + f"use an id from indicators in params/strategies/"
                                 f"{authority_id}/{group}.yaml ({', '.join(sorted(known)) or 'none'}), or remove the row.")
    for table in ("service_users", "providers", "unit_costs"):
        frame = _frame(data, table)
        if frame is None:
            continue
        for index, (group, service_type) in enumerate(zip(frame["client_group"], frame["service_type"])):
            client_group = params.client_groups.get(group)
            if client_group is None or index in skip.get(table, set()):
                continue
            known = list(getattr(client_group, "service_types", None) or [])
            if not known or service_type in known:
                continue  # no vocabulary stated: nothing to hold the data to
            at(table).add("unknown service types", index, "service_type",
                          f"the service type {service_type!r} is not one of the {group} client group's service types, "
                          "so its people or places would be left out or shown as a stray row.",
                          did_you_mean(service_type, known) + f"use one listed under service_types in "
                          f"params/client-groups/{group}.yaml ({', '.join(known)}), or add it there.")


def _folded(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


# Free-text labels that group rows, with the columns inside which two spellings would split one group in two.
_SPELT = (("budget", "group", ("financial_year", "client_group")),
          ("budget", "line", ("financial_year", "client_group", "group")),
          ("providers", "provider_id", ()))


def _spellings(data: "AuthorityData", at, skip: dict[str, set[int]]) -> None:
    """Labels written two ways ('Home care' and 'home care', or with two spaces): shown as two groups or two
    providers, each with part of the figures."""
    for table, column, within in _SPELT:
        frame = _frame(data, table)
        if frame is None:
            continue
        first: dict[tuple, tuple[str, int]] = {}
        scopes = zip(*(frame[c].tolist() for c in within)) if within else ((),) * len(frame)
        for index, (scope, value) in enumerate(zip(scopes, frame[column].tolist())):
            if index in skip.get(table, set()) or not isinstance(value, str):
                continue
            key = (tuple(_folded(v) if c == "group" else v for c, v in zip(within, scope)), _folded(value))
            seen = first.setdefault(key, (value, index))
            if seen[0] != value:
                at(table).add("labels spelt two ways", index, column,
                              f"{value!r} is written differently from {seen[0]!r} (row {at(table).rows.row(seen[1])}) "
                              "only in capitals or spaces, so they would be shown as two.",
                              f"write it the same way in every row ({seen[0]!r}).")


def _future_years(params: "Params", data: "AuthorityData", at) -> None:
    """Counts and indicator values for years that have not happened: at 31 March after the strategy starts,
    or for a financial year after its first."""
    start = params.project.edition.start_year
    first = f"{start}/{(start + 1) % 100:02d}"
    service_users = _frame(data, "service_users")
    if service_users is not None:
        for index, year in enumerate(service_users["year"].tolist()):
            if int(year) > start:
                at("service_users").add("future years", index, "year",
                                        f"the year {int(year)} is after the start of the strategy ({first}): people known "
                                        f"to services are counted at 31 March, so a count for 31 March {int(year)} has "
                                        "not been made yet.",
                                        f"check the year (the latest count is at 31 March {start} at most); projections "
                                        "of need come from the population table.")
    indicators = _frame(data, "indicators")
    if indicators is not None:
        for index, period in enumerate(indicators["period"].tolist()):
            if int(str(period)[:4]) > start:
                at("indicators").add("future years", index, "period",
                                     f"the period {period} is after the first year of the strategy ({first}), so its "
                                     "values cannot have been measured yet.",
                                     "check the period; targets for later years belong in the strategy file.")


def _population_coverage(params: "Params", authority_id: str, data: "AuthorityData", at) -> None:
    """Every locality, age band and sex in every year of the population table: a missing row is people left
    out of the authority's figures (a locality missing from one year reads as a fall in need)."""
    population = _frame(data, "population")
    authority = params.authorities.get(authority_id)
    if population is None or authority is None:
        return
    localities = {loc.code: loc.name for loc in getattr(authority, "localities", None) or []}
    bands = sorted(set(population["age_band"]), key=lambda b: needs.parse_age_band(b)[0])
    years = sorted(set(int(y) for y in population["year"]))
    cells = [(band, sex) for band in bands for sex in ("female", "male")]
    # Keys are unique and bands and sexes from fixed lists (data.py), so a locality's year is whole when it has
    # as many rows as there are cells; only the others are looked at cell by cell (a big table stays cheap).
    sizes = population.groupby(["area_code", "year"], sort=False).size()
    whole = {(code, int(year)) for (code, year), n in sizes.items() if n == len(cells)}
    present: dict[tuple[str, int], set[tuple[str, str]]] = {(code, int(year)): set() for code, year in sizes.index
                                                            if (code, int(year)) not in whole}
    if present:
        part = population[[(c, int(y)) in present for c, y in zip(population["area_code"], population["year"])]]
        for code, year, band, sex in zip(part["area_code"], part["year"], part["age_band"], part["sex"]):
            present[(code, int(year))].add((band, sex))
    fix = ("add the missing rows (write 0 where there really are no people): a locality, age band or sex left out is "
           "left out of the authority's figures without a word.")
    for code, name in localities.items():
        held = [y for y in years if (code, y) in present or (code, y) in whole]
        if not held:
            at("population").add("missing population", None, "area_code",
                                 f"has no rows for the locality {code} ({name}), so the authority's population and "
                                 "every need estimate would leave its people out.", fix)
            continue
        for year in years:
            if (code, year) in whole:
                continue
            missing = [c for c in cells if c not in present.get((code, year), set())]
            if not missing:
                continue
            what = (f"has no rows for {code} ({name}) in {year}" if len(missing) == len(cells) else
                    f"has no rows for {code} ({name}) in {year} for "
                    + ", ".join(f"{band} {sex}" for band, sex in missing[:6]) + (" ..." if len(missing) > 6 else ""))
            at("population").add("missing population", None, "area_code",
                                 f"{what}, so the {year} figures would leave those people out.", fix)


def _indicator_ranges(params: "Params", authority_id: str, data: "AuthorityData", at) -> None:
    indicators = _frame(data, "indicators")
    if indicators is None:
        return
    units, stated = {}, {}
    for (a, g), strategy in params.strategies.items():
        if a == authority_id:
            for ind in getattr(strategy, "indicators", None) or []:
                units[(g, ind.id)] = ind.unit
                stated[(g, ind.id)] = [v for v in (getattr(ind, "target", None), getattr(ind, "baseline", None))
                                       if isinstance(v, (int, float)) and math.isfinite(v)]
    _percent_fractions(indicators, units, stated, at)
    for column in ("value", "comparator_average"):
        for index, (group, ident, value) in enumerate(zip(indicators["client_group"], indicators["indicator_id"],
                                                          indicators[column])):
            unit = units.get((group, ident))
            if unit is None or value is None or value != value:
                continue
            if unit == "percent" and not 0 <= value <= 100:
                at("indicators").add("values out of range", index, column,
                                     f"{ident} is a percentage, but its {column} is {value:g}.",
                                     "write percentages from 0 to 100 (0.85 means 0.85%, write 85 for 85%).")
            elif unit in COUNT_UNITS and value < 0:
                at("indicators").add("values out of range", index, column,
                                     f"{ident} is measured in {unit}, which cannot be negative, but its {column} is {value:g}.",
                                     "correct the sign of the value.")


def _percent_fractions(indicators: "pd.DataFrame", units: dict, stated: dict, at) -> None:
    """A percentage written as a fraction (0.83 for 83%): in range, so not refused by the 0-100 check, but a
    hundredth of the target, the comparator or the indicator's other values, and rated against them."""
    series: dict[tuple, list[float]] = {}
    for group, ident, value, comparator in zip(indicators["client_group"], indicators["indicator_id"],
                                               indicators["value"], indicators["comparator_average"]):
        series.setdefault((group, ident), []).extend(v for v in (value, comparator) if v == v and v is not None)
    for column in ("value", "comparator_average"):
        for index, (group, ident, value) in enumerate(zip(indicators["client_group"], indicators["indicator_id"],
                                                          indicators[column])):
            if units.get((group, ident)) != "percent" or value is None or value != value or not 0 < value <= 1:
                continue
            others = [v for v in series.get((group, ident), []) + stated.get((group, ident), []) if v > 1]
            if others and max(others) >= 20 * value:
                at("indicators").add("percentages written as fractions", index, column,
                                     f"{ident} is a percentage, but its {column} {value:g} is a small fraction of its "
                                     f"other figures (up to {max(others):g}), so it looks like a fraction "
                                     f"({value * 100:g}%).",
                                     f"write percentages from 0 to 100 ({value * 100:g} for {value * 100:g}%).")


def params_problems(params: "Params") -> list[Problem]:
    """Params that disagree with each other or with their unit: a measure linking a service type its client
    group does not have, a target of 150% or of -5 days."""
    problems: list[Problem] = []
    for group_id, group in sorted(params.client_groups.items()):
        known = list(getattr(group, "service_types", None) or [])
        file, lines = f"params/client-groups/{group_id}.yaml", None
        for i, measure in enumerate(getattr(group, "measures", None) or []):
            for j, service_type in enumerate(measure.service_types or []):
                if not known or service_type in known:
                    continue
                if lines is None:
                    path = params.files.get(f"client-group:{group_id}")
                    lines = read_yaml(path, file)[1] if path is not None else None
                problems.append(Problem(file, f"measure '{measure.id}' links the service type {service_type!r}, which is "
                                              "not one of this client group's service_types.",
                                        field=f"measures[{i}].service_types[{j}]",
                                        line=lines.line_for(("measures", i, "service_types", j)) if lines else None,
                                        fix=did_you_mean(service_type, known) + f"use one of: {', '.join(known)}."))
    for (authority_id, group_id), strategy in sorted(params.strategies.items()):
        file = f"params/strategies/{authority_id}/{group_id}.yaml"
        lines = None
        for i, ind in enumerate(getattr(strategy, "indicators", None) or []):
            for name in ("target", "baseline"):
                value = getattr(ind, name, None)
                if value is None:
                    continue
                if ind.unit == "percent" and not 0 <= value <= 100:
                    reason, fix = f"is a percentage, but its {name} is {value:g}", "write a percentage from 0 to 100."
                elif ind.unit in COUNT_UNITS and value < 0:
                    reason, fix = f"is measured in {ind.unit}, which cannot be negative, but its {name} is {value:g}", \
                        "correct the sign."
                else:
                    continue
                if lines is None:
                    path = params.files.get(f"strategy:{authority_id}/{group_id}")
                    lines = read_yaml(path, file)[1] if path is not None else None
                problems.append(Problem(file, f"the indicator '{ind.id}' {reason}.", field=f"indicators[{i}].{name}",
                                        line=lines.line_for(("indicators", i, name)) if lines else None, fix=fix))
    return problems


# ---------------------------------------------------------------- what each section needs


def _section_needs(params: "Params", authority_id: str, group_id: str, data: "AuthorityData") -> list[Problem]:
    """Inputs the sections of one document compute from: present, covering, non-zero."""
    strategy = params.strategies[(authority_id, group_id)]
    group = params.client_groups.get(group_id)
    authority = params.authorities.get(authority_id)
    if group is None or authority is None:
        return []
    problems: list[Problem] = []
    group_file = f"params/client-groups/{group_id}.yaml"
    data_file = {t: (data.rows[t].file if t in data.rows else f"data/{authority_id}/{t}.csv") for t in
                 ("population", "service_users", "providers", "budget", "unit_costs", "indicators")}
    document = f"the {authority_id} / {group_id} document"

    def rows_for_group(table: str) -> "pd.DataFrame | None":
        frame = getattr(data, table, None) if _supplied(data, table) else None
        if frame is None:
            return None  # an absent table: its sections are left out, not failed
        covers = list(getattr(group, "covers", None) or [])
        if covers:  # a group covering others reads their rows, summed (data.for_client_group)
            part = summed_groups(frame, [group_id, *covers], group_id, table)
        else:
            part = frame[frame["client_group"] == group_id]
        if part.empty:
            problems.append(Problem(data_file[table], f"has no rows for the client group '{group_id}', which {document} "
                                                      "needs.", field="client_group",
                                    fix=f"add the {group_id} rows, or exclude {authority_id} / {group_id} from "
                                        "matrix in params/project.yaml."))
            return None
        return part

    service_users = rows_for_group("service_users")
    providers = rows_for_group("providers")
    budget = rows_for_group("budget")

    population = data.population if _supplied(data, "population") else None
    if population is None:
        return problems
    codes = {loc.code for loc in getattr(authority, "localities", None) or []}
    population = population[population["area_code"].isin(codes)]
    edition = params.project.edition
    years_needed = sorted(set(range(edition.start_year, edition.end_year + 1)) | {edition.look_ahead_year})
    have_years = set(int(y) for y in population["year"].unique())
    missing = [y for y in years_needed if y not in have_years]
    if missing:
        problems.append(Problem(data_file["population"], f"has no population for {', '.join(map(str, missing))}, which "
                                                         f"{document} projects need for.", field="year",
                                fix="add estimates or projections for every year of the strategy and the look-ahead year."))
    bands = sorted(set(population["age_band"].astype(str)), key=lambda b: needs.parse_age_band(b)[0])
    for i, measure in enumerate(getattr(group, "measures", None) or []):
        before = len(problems)
        for j, rate in enumerate(measure.rates):
            where = dict(field=f"measures[{i}].rates[{j}].age_band")
            try:
                chosen = needs.population_bands_in_range(bands, needs.parse_age_band(rate.age_band))
            except ValueError:
                overlapping = [b for b in bands if needs.bands_overlap(needs.parse_age_band(b), needs.parse_age_band(rate.age_band))
                               and not needs.band_inside(needs.parse_age_band(b), needs.parse_age_band(rate.age_band))]
                problems.append(Problem(group_file, f"the prevalence band '{rate.age_band}' of measure '{measure.id}' cuts "
                                                    f"across the population band{'s' if len(overlapping) > 1 else ''} "
                                                    f"{', '.join(repr(b) for b in overlapping)} of the population data.",
                                        fix=f"use prevalence bands made of whole population bands ({', '.join(bands)}).",
                                        **where))
                continue
            if not chosen:
                problems.append(Problem(group_file, f"the prevalence band '{rate.age_band}' of measure '{measure.id}' holds no "
                                                    f"population band of {data_file['population']}.",
                                        fix=f"use bands made of whole population bands ({', '.join(bands)}).", **where))
        usable = [y for y in years_needed if y in have_years]
        if len(problems) == before and usable:  # the bands line up: anything else needs.py refuses, said here first
            try:
                needs.need_by_year(population, measure.rates, years=usable)
            except ValueError as exc:
                problems.append(Problem(group_file, f"measure '{measure.id}': {exc}", field=f"measures[{i}].rates",
                                        fix="give each age band (and sex) one prevalence rate."))
        if service_users is not None and measure.service_types:
            latest = int(service_users["year"].max())
            linked = service_users[(service_users["year"] == latest) & service_users["service_type"].isin(measure.service_types)]
            stopped = [t for t in measure.service_types if t not in set(linked["service_type"])
                       and t in set(service_users["service_type"])]
            if stopped and not linked.empty:
                earlier = int(service_users[service_users["service_type"].isin(stopped)]["year"].max())
                problems.append(Problem(data_file["service_users"], f"has no {group_id} rows in {latest} (the latest year) "
                                                                    f"for {', '.join(stopped)}, though it has them for "
                                                                    f"{earlier}, so the people known to services for "
                                                                    f"measure '{measure.id}' would leave them out.",
                                        field="service_type", fix=f"add the {latest} rows (0 people where there were "
                                                                  "none), or remove the older rows."))
            if linked.empty:
                problems.append(Problem(data_file["service_users"], f"has no {group_id} rows in {latest} (the latest year) for "
                                                                    f"{', '.join(measure.service_types)}, the service types of "
                                                                    f"measure '{measure.id}', so unmet need cannot be estimated.",
                                        field="service_type", fix=f"add those rows, or correct service_types of measure "
                                                                  f"'{measure.id}' in {group_file}."))
    year = None
    if budget is not None:
        stated = getattr(strategy, "budget_totals", None)
        year = stated.financial_year if stated is not None and stated.financial_year in set(budget["financial_year"]) \
            else resources.latest_financial_year(budget)
        if not (budget[budget["financial_year"] == year]["amount"] > 0).any():
            problems.append(Problem(data_file["budget"], f"has no expenditure for {group_id} in {year} (every line is "
                                                         "income or zero), so there is no budget to show.", field="amount",
                                    fix="add the expenditure lines (positive amounts; income lines are negative)."))
    age = getattr(group, "age_range", None)
    if age is not None:
        try:
            needs.population_bands_in_range(bands, (age.min, age.max))
        except ValueError as exc:
            problems.append(Problem(group_file, f"the age range {age.min}-{'' if age.max is None else age.max} cuts across a "
                                                f"population band ({exc}).", field="age_range",
                                    fix=f"start and end the age range on population band edges ({', '.join(bands)})."))
        else:
            if year is not None:
                try:
                    resources.spend_per_head(0.0, population, int(year[:4]), (age.min, age.max))
                except ValueError as exc:
                    problems.append(Problem(data_file["population"], f"{exc} So spend per head for {year} (the budget year of "
                                                                     f"{document}) cannot be computed.", field="population",
                                            fix=f"add population for {year[:4]} in the age range, or check the zeros."))
    if providers is not None:
        for service_type, part in providers.groupby("service_type"):
            if float(part["capacity"].sum()) <= 0:
                problems.append(Problem(data_file["providers"], f"every {group_id} row for '{service_type}' has capacity 0, so "
                                                                "market concentration cannot be measured.", field="capacity",
                                        fix="give the places each provider has, or remove the rows."))
    return problems
