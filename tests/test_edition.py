"""edition.py: rolling a workspace forward a year, and the in-place YAML editor it relies on."""

from __future__ import annotations

import datetime as dt
import filecmp
from pathlib import Path

import pandas as pd
import pytest
import yaml

from strategy_docs.annual import edition
from strategy_docs.annual.edition import next_major_version, shift_year
from strategy_docs.inputs import yaml_edit
from strategy_docs.errors import ParamsError, WorkspaceError
from strategy_docs.inputs.params import Edition, load_params

TODAY = dt.date(2027, 2, 15)


def _strategy_files(ws: Path) -> list[Path]:
    return sorted((ws / "params" / "strategies").glob("*/*.yaml"))


def _latest_values(ws: Path, authority: str, group: str) -> dict[str, float]:
    """The latest period with a value, per indicator, worked out independently with pandas."""
    path = ws / "data" / authority / "indicators.csv"
    if not path.is_file():  # a plan with no data (Holmdale)
        return {}
    frame = pd.read_csv(path)
    frame = frame[(frame["client_group"] == group) & frame["value"].notna()].copy()
    frame["order"] = frame["period"].str.slice(0, 4).astype(int)
    latest = frame.sort_values("order").groupby("indicator_id").tail(1)
    return dict(zip(latest["indicator_id"], latest["value"].astype(float)))


@pytest.fixture
def rolled(workspace):
    before = load_params(workspace)
    texts = {p: p.read_text(encoding="utf-8") for p in _strategy_files(workspace)}
    project_text = (workspace / "params" / "project.yaml").read_text(encoding="utf-8")
    result = edition.roll_forward(workspace, today=TODAY)
    return workspace, before, texts, project_text, result


# --- archive --------------------------------------------------------------------------------

def test_archive_is_an_exact_copy(workspace, tmp_path):
    import shutil

    original = tmp_path / "original-params"
    shutil.copytree(workspace / "params", original)
    slug = load_params(workspace).project.edition.slug
    edition.roll_forward(workspace, today=TODAY)
    archive = workspace / "params" / "editions" / slug
    assert filecmp.cmp(original / "project.yaml", archive / "project.yaml", shallow=False)
    for folder in ("authorities", "client-groups", "strategies"):
        files = sorted(p.relative_to(original / folder) for p in (original / folder).rglob("*") if p.is_file())
        assert files, folder
        archived = sorted(p.relative_to(archive / folder) for p in (archive / folder).rglob("*") if p.is_file())
        assert archived == files
        for rel in files:
            assert filecmp.cmp(original / folder / rel, archive / folder / rel, shallow=False), rel
    # a snapshot of the data the edition was published with
    for authority in (p.stem for p in (original / "authorities").glob("*.yaml")):
        if not (workspace / "data" / authority).is_dir():  # a plan with no data (Holmdale): none archived
            assert not (archive / "data" / authority).exists()
            continue
        assert filecmp.cmp(workspace / "data" / authority / "indicators.csv",
                           archive / "data" / authority / "indicators.csv", shallow=False)


def test_project_moves_on_a_year(rolled):
    ws, before, _, project_text, result = rolled
    old = before.project.edition
    after = load_params(ws)
    assert after.project.edition.start_year == old.start_year + 1
    assert after.project.previous_edition == old.slug
    assert result.previous_slug == old.slug and result.new_slug == after.project.edition.slug
    assert result.new_label == after.project.edition.label
    text = (ws / "params" / "project.yaml").read_text(encoding="utf-8")
    # comments kept, and the years they mention moved on with the edition
    for line in project_text.splitlines():
        if line.startswith("#"):
            assert line in text
    if f"# {Edition(start_year=old.start_year).financial_years[0]}" in project_text:
        assert f"# {after.project.edition.financial_years[0]}" in text
    # everything else unchanged
    assert after.project.model_dump(exclude={"edition", "previous_edition"}) == \
        before.project.model_dump(exclude={"edition", "previous_edition"})


def test_every_strategy_is_rolled_forward(rolled):
    ws, before, _, _, result = rolled
    after = load_params(ws)
    label = after.project.edition.label
    assert len(result.strategies) == len(_strategy_files(ws))
    for key, old in before.strategies.items():
        new = after.strategies[key]
        control, old_control = new.document_control, old.document_control
        # version history gains one row: next major version, today, the roll-forward comment
        assert control.version_history[:-1] == old_control.version_history
        row = control.version_history[-1]
        assert row.version == next_major_version(v.version for v in old_control.version_history)
        assert row.date == TODAY
        assert row.comments == f"Rolled forward to the {label} edition"
        assert control.status == "draft"
        for date in ("publication_date", "valid_until"):  # a date the plan does not give stays ungiven
            old_date = getattr(old_control, date)
            assert getattr(control, date) == (shift_year(old_date) if old_date is not None else None)
        # intentions: expected becomes current
        assert [i.id for i in new.intentions] == [i.id for i in old.intentions]
        for i_new, i_old in zip(new.intentions, old.intentions):
            if i_old.cycle is None or i_old.cycle.expected is None:  # no expected stage: the position stays
                assert i_new.cycle == i_old.cycle
                continue
            assert i_new.cycle.current == i_old.cycle.expected
            assert i_new.cycle.expected == i_old.cycle.expected
            assert i_new.model_dump(exclude={"cycle"}) == i_old.model_dump(exclude={"cycle"})
        # risks kept, flagged for review
        assert [r.id for r in new.risks] == [r.id for r in old.risks]
        for r_new, r_old in zip(new.risks, old.risks):
            assert r_new.review_flag is True
            assert r_new.model_dump(exclude={"review_flag"}) == r_old.model_dump(exclude={"review_flag"})
        # indicators: baseline = latest value with data
        latest = _latest_values(ws, *key)
        for ind_new, ind_old in zip(new.indicators, old.indicators):
            expected = latest.get(ind_new.id, ind_old.baseline)
            assert ind_new.baseline == pytest.approx(expected), ind_new.id
            assert ind_new.model_dump(exclude={"baseline"}) == ind_old.model_dump(exclude={"baseline"})
        # a consultation's closing date moves on a year with the publication date
        if old.consultation is not None:
            assert new.consultation.closing_date == shift_year(old.consultation.closing_date)
            assert new.consultation.model_dump(exclude={"closing_date"}) == \
                old.consultation.model_dump(exclude={"closing_date"})
        # nothing else changed
        exclude = {"document_control", "intentions", "risks", "indicators", "consultation"}
        assert new.model_dump(exclude=exclude) == old.model_dump(exclude=exclude)
        assert control.model_dump(exclude={"version_history", "status", "publication_date", "valid_until"}) == \
            old_control.model_dump(exclude={"version_history", "status", "publication_date", "valid_until"})


def test_files_are_edited_in_place(rolled):
    """Only the values that move are rewritten: comments and layout survive, diffs stay small."""
    import difflib

    ws, _, texts, _, result = rolled
    for path, old_text in texts.items():
        new_text = path.read_text(encoding="utf-8")
        old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
        for line in old_lines:
            if line.lstrip().startswith("#"):
                assert line in new_lines
        removed = [l for l in difflib.ndiff(old_lines, new_lines) if l.startswith("- ")]
        added = [l for l in difflib.ndiff(old_lines, new_lines) if l.startswith("+ ")]
        assert not removed or all(l.strip() != "-" for l in removed), path  # no blank line moved
        assert all(l[2:].strip() for l in added), path  # a new key goes above the blank line ending its block
        data = yaml.safe_load(old_text)
        budget = 4 + sum(len(data.get(register) or []) for register in ("intentions", "risks", "indicators"))
        assert len(removed) <= budget, path


def test_published_outputs_are_left_alone(workspace):
    slug = load_params(workspace).project.edition.slug
    published = workspace / "build" / slug / "northshire" / "older-people.html"
    published.parent.mkdir(parents=True)
    published.write_text("<p>published</p>", encoding="utf-8")
    edition.roll_forward(workspace, today=TODAY)
    assert published.read_text(encoding="utf-8") == "<p>published</p>"
    assert sorted(p.name for p in (workspace / "build").iterdir()) == [slug]


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_rolling_twice_archives_each_edition(workspace):
    first = edition.roll_forward(workspace, today=TODAY)
    second = edition.roll_forward(workspace, today=TODAY + dt.timedelta(days=365))
    assert second.previous_slug == first.new_slug
    assert (workspace / "params" / "editions" / first.previous_slug).is_dir()
    assert (workspace / "params" / "editions" / second.previous_slug).is_dir()
    params = load_params(workspace)
    assert params.project.previous_edition == first.new_slug
    for strategy in params.strategies.values():
        assert len([v for v in strategy.document_control.version_history if v.comments.startswith("Rolled")]) == 2


def test_existing_archive_stops_before_any_change(workspace):
    slug = load_params(workspace).project.edition.slug
    (workspace / "params" / "editions" / slug).mkdir(parents=True)
    project = (workspace / "params" / "project.yaml").read_text()
    with pytest.raises(WorkspaceError, match="already archived"):
        edition.roll_forward(workspace, today=TODAY)
    assert (workspace / "params" / "project.yaml").read_text() == project


def test_invalid_workspace_changes_nothing(workspace):
    path = _strategy_files(workspace)[0]
    path.write_text(path.read_text().replace("status:", "statuss:", 1))
    before = {p: p.read_text() for p in _strategy_files(workspace)}
    with pytest.raises(ParamsError):
        edition.roll_forward(workspace, today=TODAY)
    assert not (workspace / "params" / "editions").exists()
    assert {p: p.read_text() for p in _strategy_files(workspace)} == before


# --- helpers --------------------------------------------------------------------------------

def test_next_major_version_and_shift_year():
    assert next_major_version(["0.3", "0.6", "1.0"]) == "2.0"
    assert next_major_version(["0.1"]) == "1.0"
    assert next_major_version(["v2", "2.4"]) == "3.0"
    assert next_major_version(["draft"]) == "1.0"
    assert shift_year(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert shift_year(dt.date(2026, 3, 31)) == dt.date(2027, 3, 31)


SAMPLE = """\
# a comment that must survive
top:
  status: final   # trailing comment
  when: 2026-03-18
  history:
    - version: "1.0"
      note: first
items:
  - id: A
    cycle: {current: Plan, expected: Do}
    text: |
      Two lines
      of text.
  - id: B
    cycle: {current: Do, expected: Review}
    tags: [x, y]

# comment before the last key
last: 1
"""


def _edit(text, change):
    doc = yaml_edit.round_trip(text)
    change(doc.data)
    return doc.text()


def test_round_trip_edits_in_place():
    def change(d):
        yaml_edit.set_value(d["top"], "status", "draft")
        yaml_edit.set_value(d["top"], "when", dt.date(2027, 3, 18))
        yaml_edit.extend(d["top"]["history"], [{"version": "2.0", "note": "rolled"}])
        yaml_edit.set_value(d["items"][0]["cycle"], "current", "Analyse, Plan")
        yaml_edit.set_value(d["items"][0], "flag", True)
        yaml_edit.set_value(d["items"][1], "flag", True)
        yaml_edit.set_value(d, "new_key", "value")

    text = _edit(SAMPLE, change)
    assert "# a comment that must survive" in text and "# trailing comment" in text
    assert "# comment before the last key" in text
    data = yaml.safe_load(text)
    assert data["top"]["status"] == "draft" and data["top"]["when"] == dt.date(2027, 3, 18)
    assert data["top"]["history"][-1] == {"version": "2.0", "note": "rolled"}
    assert data["items"][0]["cycle"] == {"current": "Analyse, Plan", "expected": "Do"}
    assert data["items"][0]["text"] == "Two lines\nof text.\n"
    assert data["items"][0]["flag"] is True and data["items"][1]["flag"] is True
    assert data["last"] == 1 and data["new_key"] == "value"
    assert "cycle: {current: Do, expected: Review}" in text  # untouched item keeps its layout
    # only the changed lines differ, and the blank line still ends the items block
    assert text.splitlines()[:2] == SAMPLE.splitlines()[:2]
    assert "    flag: true\n\n# comment before the last key\nlast: 1\n" in text


def test_round_trip_unchanged_is_byte_identical():
    for text in (SAMPLE, "a:\n    b: 1\n    c:\n    - x\n    - 'y'\n", "\ufeffk: [1, 2]  # c\n"):
        assert yaml_edit.round_trip(text).text() == text


def test_round_trip_item_operations_keep_styles():
    def change(d):
        yaml_edit.replace_item(d["items"], 1, {"id": "B", "cycle": {"current": "Review", "expected": "Review"},
                                                "tags": ["z"]})
        yaml_edit.delete_item(d["items"], 0)
        yaml_edit.extend(d["items"], [{"id": "C", "cycle": {"current": "Do", "expected": "Do"}, "tags": ["q", "r"]}])

    text = _edit(SAMPLE, change)
    assert "cycle: {current: Review, expected: Review}" in text and "tags: [q, r]" in text
    assert [i["id"] for i in yaml.safe_load(text)["items"]] == ["B", "C"]
    assert "tags: [q, r]\n\n# comment before the last key\n" in text


def test_round_trip_deleting_the_last_item_keeps_what_ended_the_list():
    text = _edit(SAMPLE, lambda d: yaml_edit.delete_item(d["items"], 1))
    assert [i["id"] for i in yaml.safe_load(text)["items"]] == ["A"]
    assert "of text.\n\n# comment before the last key\nlast: 1\n" in text


def test_round_trip_appends_to_a_flow_list_in_flow_style():
    text = _edit("# head\nitems: [1, 2]\nother: {a: 1}\n", lambda d: yaml_edit.extend(d["items"], [3]))
    assert text == "# head\nitems: [1, 2, 3]\nother: {a: 1}\n"


def test_round_trip_replacing_or_emptying_a_list_keeps_what_followed_it():
    text = "a:\n  - id: A\n    x: 1  # about x\n\n# next\nb: 2\n"
    emptied = _edit(text, lambda d: yaml_edit.set_value(d, "a", []))
    assert emptied == "a: []\n\n# next\nb: 2\n"
    replaced = _edit(text, lambda d: yaml_edit.set_value(d, "a", yaml_edit.styled_register([{"id": "B", "x": 3}], d["a"])))
    assert replaced == "a:\n  - id: B\n    x: 3\n\n# next\nb: 2\n"


@pytest.mark.parametrize("width", [80, 100])
def test_a_file_folded_by_its_writer_stays_folded_where_nothing_moved(width):
    """A file whose long text an earlier command folded (ruamel at 80 or 100 columns) keeps its
    folds: changing one date rewrites that line and no other."""
    import io

    from ruamel.yaml import YAML

    summary = " ".join(["Carers in the upland communities are less likely to ask for an assessment."] * 4)
    writer, buffer = YAML(), io.StringIO()
    writer.width = width
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.dump({"document_control": {"title": "Carers", "publication_date": dt.date(2026, 6, 29)},
                 "context": {"summary": summary, "notes": [summary, "short"]}}, buffer)
    original = buffer.getvalue()
    assert original.count("\n") > 8  # folded over several lines
    doc = yaml_edit.round_trip(original)
    yaml_edit.set_value(doc.data["document_control"], "publication_date", dt.date(2027, 6, 29))
    changed = doc.text()
    assert changed == original.replace("publication_date: 2026-06-29", "publication_date: 2027-06-29")
    assert yaml.safe_load(changed)["context"]["summary"] == summary
