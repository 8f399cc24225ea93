"""The plan cache: a rebuild with untouched inputs reuses the plan without reading params or data."""

from __future__ import annotations

import os
import time

import pytest

from strategy_docs.build import pipeline as build_module
from strategy_docs.build import plan as plan_module
from strategy_docs.build.pipeline import BuildOptions
from strategy_docs.inputs.workspace import Workspace

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


# ---------------------------------------------------------------- section keys from recorded reads


def _job(ws, group="carers"):
    from strategy_docs.inputs.params import load_params

    [job] = plan_module.plan_documents(load_params(ws.root), ["northshire"], [group])
    return job


def _edit_strategy(ws, change, group="carers"):
    from .conftest import edit_yaml

    edit_yaml(ws.params / "strategies" / "northshire" / f"{group}.yaml", change)


def test_a_section_key_covers_exactly_what_the_section_read(ws):
    reads = ["strategy.risks", "data.indicators"]
    before = _job(ws)
    key = plan_module.section_key(before, "07-risks", reads)
    record = {"exec_key": "an earlier build", "section_reads": {"07-risks": reads, "03-needs": ["data.population"]},
              "section_keys": {"07-risks": key, "03-needs": plan_module.section_key(before, "03-needs", ["data.population"])}}
    assert plan_module.reusable_sections(before, record) == {"07-risks", "03-needs"}

    _edit_strategy(ws, lambda s: s["monitoring"].update(frequency="Monthly"))  # not read by either
    after = _job(ws)
    assert after.exec_key != before.exec_key
    assert plan_module.reusable_sections(after, record) == {"07-risks", "03-needs"}

    _edit_strategy(ws, lambda s: s["risks"][0]["residual"].update(likelihood=1))
    assert plan_module.reusable_sections(_job(ws), record) == {"03-needs"}

    text = (ws.data / "northshire" / "indicators.csv").read_text(encoding="utf-8")
    (ws.data / "northshire" / "indicators.csv").write_text(text + "carers,carers-assessed,2025/26,4001.0,3900.0\n",
                                                          encoding="utf-8")
    job = _job(ws)
    assert job.input_digests["data.indicators"] != after.input_digests["data.indicators"]
    assert job.input_digests["data.population"] == after.input_digests["data.population"]


def test_an_unknown_read_or_a_record_without_reads_runs_the_section_again(ws):
    job = _job(ws)
    assert plan_module.section_key(job, "07-risks", ["strategy.no_such_field"]) is None
    old_record = {"exec_key": "an earlier build", "section_keys": {"07-risks": "x"}}  # before reads were recorded
    assert plan_module.reusable_sections(job, old_record) == set()
    assert plan_module.reusable_sections(job, {"exec_key": job.exec_key}) == set(plan_module.SECTION_IDS)


def test_the_notebook_and_shared_inputs_are_in_every_section_key(ws):
    before = _job(ws)
    keys = {s: plan_module.section_key(before, s, []) for s in plan_module.SECTION_IDS}
    path = ws.notebooks / "07-risks.ipynb"
    path.write_text(path.read_text(encoding="utf-8").replace("## Risk register", "## Risks"), encoding="utf-8")
    after = _job(ws)
    changed = [s for s in plan_module.SECTION_IDS if plan_module.section_key(after, s, []) != keys[s]]
    assert changed == ["07-risks"]
    from .conftest import edit_yaml

    edit_yaml(ws.params / "authorities" / "northshire.yaml", lambda a: a.update(name="Northshire Council"))
    last = _job(ws)
    assert all(plan_module.section_key(last, s, []) != plan_module.section_key(after, s, []) for s in plan_module.SECTION_IDS)
