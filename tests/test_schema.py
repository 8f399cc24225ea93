"""inputs/schema.py: one declaration of every table's columns, used by loading, registers and docs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from strategy_docs.annual import registers
from strategy_docs.inputs import data, params
from strategy_docs.inputs.schema import KINDS, MEANINGS, REGISTERS, TABLES, Column

REPO = Path(__file__).resolve().parents[1]


def _field(model, path):
    """The pydantic field at a dotted path, and whether every step of it is required."""
    required = True
    for part in path:
        info = model.model_fields[part]
        required = required and info.is_required()
        annotation = info.annotation
        model = next((a for a in getattr(annotation, "__args__", (annotation,)) if hasattr(a, "model_fields")), None)
    return info, required


def test_register_columns_name_model_fields_and_say_whether_they_are_required():
    for register in REGISTERS:
        model = getattr(params, register.model_name)
        labels = [c.label for c in register.columns]
        assert len(labels) == len(set(labels)) and all(labels), register.sheet
        for column in register.columns:
            _, required = _field(model, column.path)
            assert column.required == required, f"{register.sheet}: {column.label}"


def test_data_columns_are_exact_names_without_sheet_layout():
    for name, table in TABLES.items():
        assert table.name == name and set(table.key) <= set(table.column_names)
        for column in table.columns:
            assert column.label == "" and column.kind in ("int", "float", "text") and column.meaning in MEANINGS


def test_a_column_must_say_what_it_is():
    with pytest.raises(ValueError):
        Column("people", "integer", "count")
    with pytest.raises(ValueError):
        Column("people", "int", "people")
    assert set(KINDS) >= {c.kind for r in REGISTERS for c in r.columns}


def test_loading_and_registers_read_the_same_declarations():
    assert registers.REGISTERS is REGISTERS
    assert data.TABLES is TABLES


def test_a_required_data_column_missing_is_named(tmp_path):
    table = TABLES["service_users"]
    header = [c for c in table.column_names if c != "people"]
    path = tmp_path / "service_users.csv"
    path.write_text(",".join(header) + "\n" + ",".join("2024" if c == "year" else "x" for c in header) + "\n")
    problems: list = []
    data.read_table(path, "service_users", "data/a/service_users.csv", problems)
    assert any("people" in p.message for p in problems if p.severity == "error")


def test_params_doc_lists_every_column_and_is_in_sync():
    spec = importlib.util.spec_from_file_location("make_params_doc", REPO / "scripts" / "make_params_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.params_doc()
    assert (REPO / "docs" / "params.md").read_text(encoding="utf-8") == text
    assert "| `people` | int | a number of people, places or services | required; not negative |" in text
    assert "| Residual likelihood | `risks[].residual.likelihood` | int | a score from 1 to 5 | no |" in text
