"""`strategy-docs prepare` and the section notebooks as an analyst runs them in Jupyter.

A prepared notebook must execute clean with nbclient from the folder it was written to, and
the notebooks in notebooks/ must run as they are, with the defaults in their parameters cell.
"""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path

import nbclient
import nbformat
import pytest
import yaml
from click.testing import CliRunner

from strategy_docs.cli.app import main
from strategy_docs.inputs.workspace import SECTION_NOTEBOOKS

BLOCK_MIME = "application/vnd.strategy-docs.block+json"


def run(ws: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--workspace", str(ws)])


def problems_in(nb) -> list[str]:
    """Errors and anything written to stderr (warnings included): a clean run has none."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index} wrote to stderr: {output.get('text', '')[:300]}")
    return found


def blocks_in(nb) -> list[dict]:
    return [output["data"][BLOCK_MIME] for cell in nb.cells for output in cell.get("outputs", [])
            if BLOCK_MIME in output.get("data", {})]


def test_prepare_writes_every_section_with_the_pair_injected(workspace):
    result = run(workspace, "prepare", "northshire", "mental-health")
    assert result.exit_code == 0, result.output
    folder = workspace / "prepared" / "northshire" / "mental-health"  # beside build/: not for the website
    assert sorted(p.stem for p in folder.glob("*.ipynb")) == SECTION_NOTEBOOKS
    assert "Prepared 8 notebooks" in result.output
    nb = nbformat.read(folder / "03-needs.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    source = injected[0].source
    assert 'authority = "northshire"' in source and 'client_group = "mental-health"' in source
    assert 'workspace = "../../.."' in source  # relative: the notebook runs where it is, on any machine
    assert str(workspace) not in "".join(c.source for c in nb.cells)


@pytest.mark.parametrize("args, message", [
    (("northshire", "older-people", "09-appendix"), "is not a section"),
    (("northshire", "no-such-group"), "is not a document in the matrix"),
])
def test_prepare_reports_bad_arguments(workspace, args, message):
    result = run(workspace, "prepare", *args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.slow
def test_a_prepared_notebook_executes_clean_with_nbclient(workspace, tmp_path):
    folder = tmp_path / "analyst"
    result = run(workspace, "prepare", "northshire", "mental-health", "risks", "--output", str(folder))
    assert result.exit_code == 0, result.output
    [path] = folder.glob("*.ipynb")
    assert path.name == "07-risks.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    assert problems_in(nb) == []
    assert blocks_in(nb), "no display blocks were output"
    # It used the injected pair, not the notebook's defaults (northshire / older-people).
    strategy = yaml.safe_load((workspace / "params/strategies/northshire/mental-health.yaml").read_text())
    title = strategy["risks"][0]["title"]
    outputs = json.dumps(blocks_in(nb), ensure_ascii=False)
    assert title in outputs or html.escape(title) in outputs


@pytest.mark.slow
def test_the_section_notebooks_run_as_they_are_from_the_notebooks_folder(workspace):
    folder = workspace / "notebooks"
    paths = [folder / f"{name}.ipynb" for name in SECTION_NOTEBOOKS]
    notebooks = [nbformat.read(p, as_version=4) for p in paths]
    assert all(not c.get("outputs") for nb in notebooks for c in nb.cells if c.cell_type == "code"), \
        "notebooks/ should be committed with outputs stripped"

    async def execute_all():
        # One fresh kernel per notebook, as Jupyter would; run side by side to keep the test short.
        limit = asyncio.Semaphore(4)

        async def execute(nb):
            async with limit:
                await nbclient.NotebookClient(nb, kernel_name="python3",
                                              resources={"metadata": {"path": str(folder)}}).async_execute()

        await asyncio.gather(*(execute(nb) for nb in notebooks))

    asyncio.run(execute_all())
    for path, nb in zip(paths, notebooks):
        assert problems_in(nb) == [], path.name
        assert blocks_in(nb), f"{path.name} output no display blocks"
    # Nothing was written beside the notebooks (no outputs saved, no scratch files).
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
