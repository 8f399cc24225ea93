#!/usr/bin/env python
"""Scale without blow-up (issue 15): build one very large plan and check the targets.

The target: a 5,000-intention plan builds its HTML and PDF in under 60 s and 1 GB (wall time
and the peak summed RSS of the whole process tree: the CLI, its worker and its kernel). The
plan is the example's northshire carers strategy with its themes and intentions replaced by
`scripts/large_plan.py` (25 themes, every intention with a type and cycle positions). Run it
on an idle machine: wall time on a loaded one says little (CPU time is reported beside it).

    python benchmarks/scale_benchmark.py                  # 5,000 intentions, HTML and PDF, then HTML only
    python benchmarks/scale_benchmark.py --intentions 1000 --formats html

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "scripts"), str(REPO / "tests")]

from conftest import copy_workspace  # noqa: E402
from large_plan import write_large_plan  # noqa: E402
from run_benchmark import run  # noqa: E402

TARGET_SECONDS, TARGET_BYTES = 60.0, 2**30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intentions", type=int, default=5000)
    parser.add_argument("--formats", action="append", help="formats of one build (repeatable); "
                        "default: html,pdf then html")
    args = parser.parse_args()
    missed = False
    with tempfile.TemporaryDirectory(prefix="sd-scale-") as top:
        ws = copy_workspace(Path(top) / "ws", authorities=["northshire"])
        write_large_plan(ws, "northshire", "carers", args.intentions)
        for formats in args.formats or ["html,pdf", "html"]:
            result = run([sys.executable, "-m", "strategy_docs", "build", "--workspace", str(ws), "--force",
                          "-a", "northshire", "-c", "carers", "--format", formats, "--jobs", "1", "-v"],
                         cwd=ws, sample=True)
            peak = result["peak_rss"]
            ok = result["wall"] < TARGET_SECONDS and peak < TARGET_BYTES
            missed |= not ok
            print(f"{args.intentions} intentions, {formats}: wall {result['wall']:.1f} s, CPU {result['cpu']:.1f} s, "
                  f"peak {peak / 2**20:.0f} MB ({result['peak_processes']} processes), "
                  f"load {result['load_before']:.1f}-{result['load_after']:.1f}: "
                  f"{'within' if ok else 'MISSES'} the target (< {TARGET_SECONDS:.0f} s, < 1 GB)")
            timings = [line.strip() for line in (result["stdout"] + result["stderr"]).splitlines()
                       if line.strip().startswith("built:")]
            for line in timings:
                print("   ", line)
        shutil.rmtree(ws, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
