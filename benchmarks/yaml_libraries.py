#!/usr/bin/env python
"""PyYAML (how validate reads) against ruamel.yaml's round-trip mode (how commands edit), on the
example's parameters files. Seconds, not minutes; the figures are in docs/design.md.

    python benchmarks/yaml_libraries.py [WORKSPACE]

Reports: the load time of every parameters file with `inputs/yamlio.read_yaml` (PyYAML's C
loader and our line map) and with ruamel (round-trip and pure safe mode); whether both give the
same line for every field; whether ruamel writes every file back byte for byte when nothing
changed; and how long rolling every strategy forward takes through `inputs/yaml_edit`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from strategy_docs.annual import edition
from strategy_docs.inputs import yaml_edit
from strategy_docs.inputs.bundled import example_dir
from strategy_docs.inputs.yamlio import read_yaml


def best(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def ruamel_lines(node, path=(), out=None) -> dict:
    out = {} if out is None else out
    if isinstance(node, CommentedMap):
        for key in node:
            out[path + (key,)] = node.lc.key(key)[0] + 1
            ruamel_lines(node[key], path + (key,), out)
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            out[path + (index,)] = node.lc.item(index)[0] + 1
            ruamel_lines(item, path + (index,), out)
    return out


def main(root: Path) -> None:
    files = sorted(p for p in (root / "params").glob("**/*.y*ml") if "editions" not in p.parts)
    texts = {f: f.read_text(encoding="utf-8-sig") for f in files}
    print(f"{len(files)} files, {sum(t.count(chr(10)) for t in texts.values()):,} lines")
    print(f"read_yaml (PyYAML C loader + line map): {best(lambda: [read_yaml(f, f.name) for f in files]) * 1000:.0f} ms")
    print(f"ruamel round-trip load:                 {best(lambda: [YAML().load(t) for t in texts.values()]) * 1000:.0f} ms")
    safe = YAML(typ="safe", pure=True)
    print(f"ruamel safe (pure Python) load:         {best(lambda: [safe.load(t) for t in texts.values()]) * 1000:.0f} ms")
    agree = differ = 0
    for f in files:
        ours = read_yaml(f, f.name)[1].lines
        for path, line in ruamel_lines(YAML().load(texts[f])).items():
            agree, differ = (agree + 1, differ) if ours.get(path) == line else (agree, differ + 1)
    print(f"field lines: {agree:,} agree, {differ} differ")
    same = sum(yaml_edit.round_trip(t).text() == t for t in texts.values())
    print(f"unchanged round trip: {same} of {len(files)} byte-identical")
    strategies = sorted((root / "params" / "strategies").glob("*/*.y*ml"))
    started = time.perf_counter()
    for path in strategies:
        edition._roll_strategy(path, root, path.parent.name, path.stem, "next", 0, dt.date.today(), None)
    print(f"roll forward {len(strategies)} strategies in memory: {(time.perf_counter() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else example_dir())
