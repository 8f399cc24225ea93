"""Scale without blow-up (issue 15): the cost of a plan's intentions grows linearly, and small.

The target is a 5,000-intention plan built in under 60 s and 1 GB (HTML and PDF, the whole
process tree). `benchmarks/scale_benchmark.py` builds that plan and checks it; it takes minutes
on a loaded 2-core machine, so here the same strategy is built with 200 and with 1,000
intentions (`scripts/large_plan.py`). Time is extrapolated from the difference, which leaves out
everything the two builds share:
    cost(5000) = cost(1000) + 4000 x (cost(1000) - cost(200)) / 800,
as the CPU time of the whole process tree (the CLI and its kernel), which the machine's other
load inflates far less than wall time. Memory is the peak of the summed RSS of the process tree.

The PDF of a document longer than about 100 pages is made in parts (outputs/pdf_parts.py), so
Typst's memory no longer grows with the plan: the 1,000-intention plan (about 260 pages, in
parts) must build its HTML and PDF in under 1 GB, as must the 200-intention one (77 pages,
whole). Measured (December 2026, 2 cores, loaded): the 5,000-intention plan's HTML and PDF in
1,087 MB with parts of 40 pages (4.6 GB estimated whole; parts are now of 10), 114 s of CPU; the
extrapolation here 122 s. The 60 s target is open: its guard (TIME_GUARD_SECONDS) stops it getting
worse.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from large_plan import write_large_plan

from .conftest import copy_workspace
from .robust_support import cli_env

pytestmark = pytest.mark.slow

AUTHORITY, GROUP = "northshire", "carers"
TARGET_SECONDS, TARGET_BYTES, TARGET_INTENTIONS = 60.0, 2**30, 5000
SMALL, LARGE = 200, 1000
LOADED = 1.5  # CPU time measured here runs up to a third over an idle machine's under the suite's load
TIME_GUARD_SECONDS = 180.0  # today's estimate (122 s of CPU, loaded) must not grow; the 60 s target is open


def measured_build(ws: Path, formats: str) -> tuple[float, int]:
    """(CPU seconds of the process tree, peak summed RSS in bytes) of one forced build."""
    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen([sys.executable, "-m", "strategy_docs", "build", "--workspace", str(ws), "--force",
                                "-a", AUTHORITY, "-c", GROUP, "--format", formats, "--jobs", "1"],
                               cwd=ws, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in tree:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate(timeout=900)
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert process.returncode == 0, out + err
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), peak[0]


def extrapolated(small: float, large: float) -> float:
    return large + (TARGET_INTENTIONS - LARGE) * (large - small) / (LARGE - SMALL)


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[int, Path]:
    found = {}
    for size in (SMALL, LARGE):
        ws = copy_workspace(tmp_path_factory.mktemp(f"plan{size}") / "ws", authorities=[AUTHORITY])
        write_large_plan(ws, AUTHORITY, GROUP, size)
        found[size] = ws
    return found


def test_the_plan_generator_makes_valid_plans_of_the_size_asked(plans):
    from strategy_docs.build.pipeline import validate
    from strategy_docs.inputs.workspace import find_workspace

    params = validate(find_workspace(plans[SMALL]), [AUTHORITY], [GROUP])  # raises on any problem
    strategy = params.strategies[(AUTHORITY, GROUP)]
    assert len(strategy.intentions) == SMALL and len({i.id for i in strategy.intentions}) == SMALL
    assert {i.theme for i in strategy.intentions} == {t.id for t in strategy.themes}
    assert all(i.cycle and i.cycle.expected for i in strategy.intentions)
    assert [w for w in params.warnings if w.severity == "warning"] == []


def test_html_and_pdf_time_grows_linearly_and_memory_stays_under_1_gb(plans):
    small, small_peak = measured_build(plans[SMALL], "html,pdf")
    large, large_peak = measured_build(plans[LARGE], "html,pdf")
    for size, peak in ((SMALL, small_peak), (LARGE, large_peak)):
        assert peak < TARGET_BYTES, f"{size} intentions needed {peak / 2**20:.0f} MB for their HTML and PDF"
    estimate = extrapolated(small, large)
    assert estimate < TIME_GUARD_SECONDS, (
        f"{TARGET_INTENTIONS} intentions would take {estimate:.0f} s of CPU ({SMALL}: {small:.1f} s, {LARGE}: {large:.1f} s)")


def test_a_5000_intention_plan_builds_its_html_in_under_1_gb(plans):
    _, small = measured_build(plans[SMALL], "html")
    _, large = measured_build(plans[LARGE], "html")
    estimate = extrapolated(small, large)
    assert estimate < TARGET_BYTES, (f"{TARGET_INTENTIONS} intentions would need {estimate / 2**20:.0f} MB "
                                     f"({SMALL}: {small / 2**20:.0f} MB, {LARGE}: {large / 2**20:.0f} MB)")
