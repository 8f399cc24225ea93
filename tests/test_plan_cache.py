"""The plan cache: a rebuild with untouched inputs reuses the plan without reading params or data."""

from __future__ import annotations

import os
import time

import pytest

from strategy_docs import build as build_module
from strategy_docs import plan as plan_module
from strategy_docs.build import BuildOptions
from strategy_docs.workspace import Workspace

from .conftest import copy_workspace


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setattr(plan_module, "RACY_SECONDS", 0.0)  # files copied a moment ago count as settled
    return Workspace(copy_workspace(tmp_path / "ws", authorities=["northshire"]))


@pytest.fixture
def validations(monkeypatch):
    calls = []
    real = build_module.validate

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "validate", counting)
    return calls


def test_same_inputs_reuse_the_plan(ws, validations):
    first = build_module.plan(ws, BuildOptions())
    second = build_module.plan(ws, BuildOptions())
    assert len(validations) == 1
    assert [j.render_key for j in first[0]] == [j.render_key for j in second[0]]
    assert first[0][0].meta == second[0][0].meta and first[0][0].input_digests == second[0][0].input_digests
    assert first[2] == second[2]  # project name
    build_module.plan(ws, BuildOptions(client_groups=["carers"]))  # other filters: planned on their own
    assert len(validations) == 2


def test_an_edit_of_the_same_size_replans(ws, validations):
    options = BuildOptions()
    before = build_module.plan(ws, options)[0]
    path = ws.params / "strategies" / "northshire" / "carers.yaml"
    text = path.read_text(encoding="utf-8")
    time.sleep(0.01)
    path.write_text(text.replace("Carers", "Carerz", 1), encoding="utf-8")
    assert len(path.read_text(encoding="utf-8")) == len(text)
    after = build_module.plan(ws, options)[0]
    assert len(validations) == 2
    changed = [a.client_group for a, b in zip(before, after) if a.exec_key != b.exec_key]
    assert changed == ["carers"]


def test_new_or_removed_data_file_replans(ws, validations):
    build_module.plan(ws, BuildOptions())
    extra = ws.data / "northshire" / "notes.txt"
    extra.write_text("x")
    build_module.plan(ws, BuildOptions())
    extra.unlink()
    build_module.plan(ws, BuildOptions())
    assert len(validations) == 3


def test_force_and_recent_edits_bypass_the_cache(ws, validations, monkeypatch):
    build_module.plan(ws, BuildOptions())
    build_module.plan(ws, BuildOptions(force=True))
    assert len(validations) == 2
    monkeypatch.setattr(plan_module, "RACY_SECONDS", 3600.0)  # everything "just changed"
    assert plan_module.input_stamp(ws.root) is None
    build_module.plan(ws, BuildOptions())
    build_module.plan(ws, BuildOptions())
    assert len(validations) == 4


def test_a_corrupt_cache_is_ignored(ws, validations):
    build_module.plan(ws, BuildOptions())
    (ws.state / plan_module.PLAN_CACHE).write_text("{not json")
    jobs = build_module.plan(ws, BuildOptions())[0]
    assert jobs and len(validations) == 2


def test_validation_errors_are_never_cached(ws):
    from strategy_docs.errors import ValidationError

    build_module.plan(ws, BuildOptions())
    path = ws.params / "authorities" / "northshire.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nsurprise: 1\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ValidationError):
            build_module.plan(ws, BuildOptions())


def test_stamp_ignores_caches_but_sees_notebooks_and_templates(ws):
    stamp = plan_module.input_stamp(ws.root)
    (ws.notebooks / "__pycache__").mkdir()
    (ws.notebooks / "__pycache__" / "x.pyc").write_bytes(b"x")
    assert plan_module.input_stamp(ws.root) == stamp
    css = ws.templates / "strategy" / "static" / "paged.css"
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1))
    assert plan_module.input_stamp(ws.root) != stamp


def test_index_is_rewritten_only_when_a_record_changes(ws):
    import json

    build_module._write_index_if_changed(ws, "Project")
    index = ws.build / "index.html"
    first = index.stat().st_mtime_ns
    time.sleep(0.01)
    build_module._write_index_if_changed(ws, "Project")
    assert index.stat().st_mtime_ns == first  # a no-op build leaves it alone
    record = ws.state / "records" / "2026-27" / "northshire" / "carers.json"
    record.parent.mkdir(parents=True)
    (ws.build / "2026-27" / "northshire").mkdir(parents=True)
    (ws.build / "2026-27" / "northshire" / "carers.html").write_text("<html></html>")
    record.write_text(json.dumps({
        "edition": "2026-27", "authority": "northshire", "client_group": "carers", "built_at": "", "executed_at": "",
        "exec_key": "", "render_key": "", "inputs": {}, "meta": {"title": "Carers"},
        "files": {"html": {"path": "2026-27/northshire/carers.html", "bytes": 13, "sha256": ""}}}))
    build_module._write_index_if_changed(ws, "Project")
    assert index.stat().st_mtime_ns != first and "carers.html" in index.read_text()
    index.unlink()
    build_module._write_index_if_changed(ws, "Project")
    assert index.is_file()
