"""The section registry: the notebooks are generated from it, and what it declares each
section reads is what the section is recorded reading (so the declaration cannot drift)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json

import pytest

from strategy_docs.sections import context, registry, content as sections
from strategy_docs.annual import edition
from strategy_docs.inputs.params import Strategy

from .conftest import REPO, copy_workspace


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", REPO / "scripts" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_generated_from_the_registry():
    import nbformat

    make = _generator()
    assert sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")) == [s.notebook for s in registry.SECTIONS]
    for section in registry.SECTIONS:
        expected = nbformat.writes(make.build_notebook(section.cells)) + "\n"
        assert (REPO / "notebooks" / section.notebook).read_text(encoding="utf-8") == expected, section.id


def test_the_sections_doc_is_generated_from_the_registry():
    assert (REPO / "docs" / "sections.md").read_text(encoding="utf-8") == _generator().sections_doc()


def test_every_shown_function_exists_and_every_declared_input_is_known():
    tables = {"population", "service_users", "providers", "budget", "unit_costs", "indicators"}
    for section in registry.SECTIONS:
        assert all(callable(getattr(sections, f, None)) for f in section.functions), section.id
        assert set(section.fields) <= set(Strategy.model_fields), section.id
        assert set(section.tables) <= tables, section.id
    notebook = json.loads((REPO / "notebooks" / "01-context.ipynb").read_text(encoding="utf-8"))
    shown = [c["source"][-1] for c in notebook["cells"] if c["cell_type"] == "code"][2:]
    assert shown[-1] == "display.show(sections.what_changed(doc))"


@pytest.fixture(scope="module")
def rolled_forward(tmp_path_factory):
    """One authority, rolled forward: every section, "what has changed" included, has content to read."""
    ws = copy_workspace(tmp_path_factory.mktemp("registry") / "ws", authorities=["northshire"])
    edition.roll_forward(ws, today=dt.date(2026, 4, 1))
    return ws


def test_declared_inputs_are_exactly_the_recorded_ones(rolled_forward):
    from strategy_docs.inputs.params import load_params

    recorded: dict[str, set[str]] = {s.id: set() for s in registry.SECTIONS}
    for authority, group in load_params(rolled_forward).pairs():
        for section in registry.SECTIONS:
            with context.recording() as reads:
                doc = sections.load_document(rolled_forward, authority, group)
                for function in section.functions:
                    getattr(sections, function)(doc)
            assert reads <= section.inputs, f"{section.id} ({authority}/{group}) reads undeclared {reads - section.inputs}"
            recorded[section.id] |= reads
    for section in registry.SECTIONS:
        assert recorded[section.id] == section.inputs, f"{section.id} declares unread {section.inputs - recorded[section.id]}"
    # The defect that started this: "what has changed" compares risks with the previous edition.
    assert {"strategy.risks", "data.indicators", registry.PREVIOUS_EDITION} <= recorded["01-context"]


def test_recording_notes_each_field_and_table_once_and_only_while_on(rolled_forward):
    ctx = context.load(rolled_forward, "northshire", "carers")
    ctx.strategy.risks
    with context.recording() as reads:
        ctx.strategy.risks
        ctx.data.providers
        ctx.analysis_inputs().budget
        ctx.strategy.model_dump()  # a method: the whole strategy
    assert reads == {"strategy.risks", "data.providers", "data.budget", context.ALL_FIELDS}
    with context.recording() as reads:
        ctx.authority.name, ctx.client_group.name, ctx.project.edition  # shared inputs: not noted
    assert reads == set()


def test_a_nested_recording_is_seen_by_the_outer_one(rolled_forward):
    ctx = context.load(rolled_forward, "northshire", "carers")
    with context.recording() as outer:
        ctx.strategy.monitoring
        with context.recording() as inner:
            ctx.data.indicators
    assert inner == {"data.indicators"} and outer == {"strategy.monitoring", "data.indicators"}
