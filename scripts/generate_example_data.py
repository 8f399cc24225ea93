#!/usr/bin/env python
"""Regenerate the synthetic data of the example workspace, or write a scaled workspace.

    python scripts/generate_example_data.py                       # rewrite data/ of the example
    python scripts/generate_example_data.py --check               # fail if data/ is out of date
    python scripts/generate_example_data.py --workspace /tmp/bench --authorities 20
    python scripts/generate_example_data.py --workspace /tmp/bench --authorities 6 \\
        --client-groups older-people,carers

Everything written is synthetic (see data/README.md) and depends only on the parameters
files and the seed, so running it twice gives identical files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import synthetic


def _compare(folder_a: Path, folder_b: Path) -> list[str]:
    differ = []
    for path in sorted(folder_a.rglob("*")):
        if path.is_file():
            other = folder_b / path.relative_to(folder_a)
            if not other.is_file() or other.read_bytes() != path.read_bytes():
                differ.append(path.relative_to(folder_a).as_posix())
    for path in sorted(folder_b.rglob("*")):
        if path.is_file() and not (folder_a / path.relative_to(folder_b)).exists():
            differ.append(path.relative_to(folder_b).as_posix())
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path,
                        help="write a new scaled workspace here (default: rewrite the example's data/)")
    parser.add_argument("--authorities", type=int, default=None,
                        help="number of authorities in the scaled workspace (needs --workspace)")
    parser.add_argument("--client-groups", default="",
                        help="comma-separated client groups for the scaled workspace (default: all)")
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED, help="random seed")
    parser.add_argument("--sync-budget-totals", action="store_true",
                        help="also rewrite budget_totals in the example strategies to match the data")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the example's data/ differs from what would be generated")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    if args.workspace is not None:
        if not args.authorities:
            parser.error("--workspace needs --authorities N")
        groups = [g.strip() for g in args.client_groups.split(",") if g.strip()] or None
        dest = synthetic.make_workspace(args.workspace, args.authorities, groups, seed=args.seed)
        print(f"Wrote a synthetic workspace with {args.authorities} authorities to {dest} "
              f"in {time.perf_counter() - started:.1f} s")
        return 0
    if args.authorities:
        parser.error("--authorities needs --workspace DIR (the example always has its own authorities)")

    example = synthetic.example_workspace()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp)
            import shutil

            shutil.copytree(example / "params", copy / "params")
            synthetic.generate_workspace_data(copy, seed=args.seed)
            differ = _compare(copy / "data", example / "data")
        if differ:
            print("data/ is out of date; run scripts/generate_example_data.py. Differs: " + ", ".join(differ))
            return 1
        print("data/ is up to date.")
        return 0
    tables = synthetic.generate_workspace_data(example, seed=args.seed)
    if args.sync_budget_totals:
        for path in synthetic.sync_budget_totals(example, tables):
            print(f"Updated budget_totals in {path.relative_to(example)}")
    print(f"Wrote synthetic data for {len(tables)} authorities to {example / 'data'} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
