#!/usr/bin/env python
"""Benchmark strategy-docs against the naive per-document loop, on a synthetic workspace.

Not a test: it takes minutes (about 25 at the default size on 2 cores). It reports, in one run:

  (a) the naive loop over a sample of documents: the papermill CLI per section notebook, the
      executed notebooks joined into one, nbconvert's CLI (`--to html --no-input --template
      strategy`, our template, its filters and resources given by a config file), then the PDF
      compiled by Typst in a fresh process (the typst package has no CLI of its own: a one-line
      script calls strategy_docs.outputs.pdf, as a script in such a loop would): the per-document
      baseline. Every tool is run through this Python (`python -m papermill`, `python -m
      nbconvert`), so the loop needs only the package installed, not a virtualenv's bin on PATH;
  (b) a cold full build (`strategy-docs build --jobs N`, HTML and PDF);
  (c) a no-op rebuild (end-to-end wall time of the CLI process, median of 3);
  (d) a rebuild after changing one authority's parameters (only its documents may rebuild);
  (e) peak memory of the build's process tree (sum of RSS, sampled every 0.1 s);
  (f) documents per minute for cold builds of several sizes (--force on a subset).

Results go to benchmarks/results/latest.json and latest.md. A quick run:

    python benchmarks/run_benchmark.py --authorities 3 --sample 1 --sizes 5,15
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from strategy_docs.inputs.workspace import Workspace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
ENV: dict[str, str] = dict(os.environ)  # every command runs with this (see --snapshot)


# ---------------------------------------------------------------- measuring


class Sampler(threading.Thread):
    """Peak resident memory of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.peak_processes = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            total, count = 0, 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                    count += 1
                except psutil.Error:
                    pass
            if total > self.peak:
                self.peak, self.peak_processes = total, count
            self.stop.wait(self.interval)


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, sample: bool = False,
        check: bool = True) -> dict:
    """Run a command; wall time, CPU time of its (reaped) process tree, peak memory if sampled."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env or ENV, stdout=out, stderr=err, text=True)
        sampler = Sampler(process.pid) if sample else None
        if sampler:
            sampler.start()
        code = process.wait()
        wall = time.perf_counter() - started
        if sampler:
            sampler.stop.set()
            sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and code != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited with {code}:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    result = {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
              "code": code, "stdout": stdout, "stderr": stderr, "load_before": load, "load_after": os.getloadavg()[0]}
    if sampler:
        result["peak_rss"] = sampler.peak
        result["peak_processes"] = sampler.peak_processes
    return result


def cli(ws: Path, *args: str, sample: bool = False) -> dict:
    return run([sys.executable, "-m", "strategy_docs", "build", "--workspace", str(ws), "-q", *args], cwd=ws,
               sample=sample)


def summary(stdout: str) -> dict:
    found = re.search(r"(\d+) built, (\d+) re-rendered, (\d+) up to date, (\d+) failed of (\d+) documents", stdout)
    if not found:
        raise RuntimeError(f"no build summary in: {stdout[-500:]}")
    return dict(zip(("built", "rerendered", "up_to_date", "failed", "planned"), map(int, found.groups())))


# ---------------------------------------------------------------- the naive loop

NBCONVERT_CONFIG = r'''
# jupyter nbconvert configuration for the naive loop: our template needs two filters and the
# resources strategy_docs.outputs.html.render_html prepares (contents, metadata, stylesheets).
import functools
import json
from pathlib import Path

from nbconvert.preprocessors import Preprocessor

from strategy_docs.outputs import html as render

TEMPLATE_DIR = Path({template_dir!r})


class StrategyResources(Preprocessor):
    def preprocess(self, nb, resources):
        meta = nb.metadata.pop("strategy_docs_meta")
        nb, ours = render.page_resources(nb, meta, TEMPLATE_DIR)  # what render_html hands nbconvert
        resources.update(ours)
        return nb, resources


c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.HTMLExporter.preprocessors = [StrategyResources]
c.TemplateExporter.filters = {{
    "strategy_block": functools.partial(render._block_filter, str(TEMPLATE_DIR), render.template_digest(TEMPLATE_DIR)),
    "strategy_markdown": render._markdown_filter,
}}
'''

PDF = r'''
import json, sys
from pathlib import Path
import nbformat
from strategy_docs.outputs import pdf
folder = Path(sys.argv[1])
doc = nbformat.read(folder / "document.ipynb", as_version=4)
meta = doc.metadata.pop("strategy_docs_meta")
(folder / "document.pdf").write_bytes(pdf.render_pdf(pdf.pdf_document(doc, meta)))
'''

MERGE = r'''
import json, sys
from pathlib import Path
import nbformat
from strategy_docs.outputs.html import assemble
folder = Path(sys.argv[1])
sections = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
doc = assemble(sections)
doc.metadata["strategy_docs_meta"] = json.loads(Path(sys.argv[2]).read_text())
nbformat.write(doc, folder / "document.ipynb")
'''


def naive_document(ws: Path, authority: str, group: str, meta: dict, folder: Path) -> dict:
    """One document the naive way: a fresh process (and kernel) for every step."""
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps(meta))
    config = folder / "nbconvert_config.py"
    config.write_text(NBCONVERT_CONFIG.format(template_dir=str(ws / "templates" / "strategy")))
    steps: dict[str, float] = {}
    cpu = 0.0
    for notebook in sorted((ws / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        r = run([sys.executable, "-m", "papermill", str(notebook), str(folder / notebook.name), "-p", "workspace", str(ws),
                 "-p", "authority", authority, "-p", "client_group", group, "--no-progress-bar",
                 "--log-level", "WARNING"], cwd=folder)
        steps[f"papermill {notebook.stem}"] = r["wall"]
        cpu += r["cpu"]
    r = run([sys.executable, "-c", MERGE, str(folder), str(folder / "meta.json")], cwd=folder)
    steps["join notebooks"] = r["wall"]
    cpu += r["cpu"]
    r = run([sys.executable, "-m", "nbconvert", "--to", "html", "--no-input", "--template", "strategy",
             f"--TemplateExporter.extra_template_basedirs={ws / 'templates'}", f"--config={config}",
             str(folder / "document.ipynb"), "--output-dir", str(folder)], cwd=folder)
    steps["nbconvert"] = r["wall"]
    cpu += r["cpu"]
    r = run([sys.executable, "-c", PDF, str(folder)], cwd=folder)
    steps["typst pdf"] = r["wall"]
    cpu += r["cpu"]
    return {"document": f"{authority}/{group}", "wall": sum(steps.values()), "cpu": cpu, "steps": steps,
            "pdf_bytes": (folder / "document.pdf").stat().st_size}


# ---------------------------------------------------------------- helpers


def machine() -> dict:
    import psutil

    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    versions = {}
    for name in ("strategy_docs", "typst", "papermill", "nbconvert", "pandas", "matplotlib", "distributed"):
        try:
            versions[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001
            versions[name] = "?"
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(), "versions": versions}


def plan_meta(ws: Path) -> dict[tuple[str, str], dict]:
    from strategy_docs.inputs.params import load_params
    from strategy_docs.build.plan import plan_documents

    return {(j.authority, j.client_group): j.meta for j in plan_documents(load_params(ws))}


def change_one_authority(ws: Path, authority: str) -> str:
    """A real change to one authority's parameters: its accent colour (every document shows it)."""
    path = ws / "params" / "authorities" / f"{authority}.yaml"
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(r"(colour:\s*['\"]?)#[0-9a-fA-F]{6}", r"\g<1>#2b3a67", text, count=1)
    if not count:
        raise RuntimeError(f"no branding colour to change in {path}")
    path.write_text(new, encoding="utf-8")
    return f"params/authorities/{authority}.yaml: branding colour -> #2b3a67"


def fmt_mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authorities", type=int, default=24, help="authorities in the synthetic workspace (x5 documents)")
    parser.add_argument("--sample", type=int, default=3, help="documents built the naive way")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sizes", default="15,60", help="extra cold-build sizes for documents/minute (the full size is always included)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the workspace (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the workspace afterwards")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest")
    parser.add_argument("--no-snapshot", dest="snapshot", action="store_false",
                        help="run the installed package as it is, even if its source changes during the run "
                             "(by default a copy of src/strategy_docs is used: an edit to the package mid-run would "
                             "change every document's key and rebuild everything)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from synthetic import make_workspace

    work = args.work or Path(tempfile.mkdtemp(prefix="strategy-docs-bench-"))
    ws = work / "ws"
    if ws.exists():
        shutil.rmtree(ws)
    if args.snapshot:
        import strategy_docs

        source = Path(strategy_docs.__file__).resolve().parent
        snapshot = work / "src"
        shutil.rmtree(snapshot, ignore_errors=True)
        shutil.copytree(source, snapshot / "strategy_docs", ignore=shutil.ignore_patterns("__pycache__"))
        checkout = source.parents[1]  # a checkout's package finds its notebooks and templates beside src/
        for folder in ("notebooks", "templates"):
            if (checkout / folder).is_dir() and not (source / "_bundled" / folder).is_dir():
                shutil.rmtree(work / folder, ignore_errors=True)
                shutil.copytree(checkout / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
        ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(snapshot), ENV.get("PYTHONPATH", "")]))
    results: dict = {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "machine": machine(), "settings": vars(args) | {"work": str(work), "output": str(args.output)},
                     "load_at_start": os.getloadavg()}
    t = time.perf_counter()
    make_workspace(ws, args.authorities)
    results["generate_seconds"] = time.perf_counter() - t
    authorities = sorted(p.stem for p in (ws / "params" / "authorities").glob("*.yaml"))
    metas = plan_meta(ws)
    total = len(metas)
    print(f"workspace: {total} documents ({len(authorities)} authorities) in {ws}", flush=True)

    # (a) naive loop over a sample, before anything is built (so no cache helps it)
    pairs, step = sorted(metas), max(1, total // max(1, args.sample))
    groups = sorted({g for _, g in pairs})
    sample = [pairs[min(total - 1, i * step + i % len(groups))] for i in range(min(args.sample, total))]  # vary groups too
    naive = []
    for i, (authority, group) in enumerate(sample):
        naive.append(naive_document(ws, authority, group, metas[(authority, group)], work / "naive" / f"{i}"))
        print(f"naive: {authority}/{group} {naive[-1]['wall']:.1f} s", flush=True)
    naive_per_doc = statistics.mean(n["wall"] for n in naive)
    results["naive"] = {"documents": naive, "per_document_wall": naive_per_doc,
                        "per_document_cpu": statistics.mean(n["cpu"] for n in naive)}

    # (b) cold full build, (e) its peak memory
    cold = cli(ws, "--jobs", str(args.jobs), sample=True)
    counts = summary(cold["stdout"])
    assert counts["built"] == total and counts["failed"] == 0, counts
    results["cold"] = {"documents": total, "wall": cold["wall"], "cpu": cold["cpu"], "peak_rss": cold["peak_rss"],
                       "peak_processes": cold["peak_processes"], "per_document_wall": cold["wall"] / total,
                       "load": [cold["load_before"], cold["load_after"]]}
    print(f"cold build: {total} documents in {cold['wall']:.1f} s, peak {fmt_mb(cold['peak_rss'])}", flush=True)
    records = list((Workspace(ws).work / "records").rglob("*.json"))  # where the build keeps them
    timings: dict[str, list[float]] = {}
    for record in records:
        for key, value in json.loads(record.read_text()).get("timings", {}).items():
            if not key.startswith("execute"):
                timings.setdefault(key, []).append(value)
    results["cold"]["median_step_seconds"] = {k: statistics.median(v) for k, v in timings.items()}
    results["cold"]["median_execute_seconds"] = statistics.median(
        sum(v for k, v in json.loads(r.read_text()).get("timings", {}).items() if k.startswith("execute")) for r in records)

    # (c) no-op rebuilds (the plan cache wants inputs older than 2 s: they are, after the build)
    noops = []
    for _ in range(3):
        r = cli(ws, "--jobs", str(args.jobs))
        counts = summary(r["stdout"])
        assert counts["up_to_date"] == total, counts
        noops.append(r["wall"])
    results["noop"] = {"documents": total, "walls": noops, "median_wall": statistics.median(noops)}
    print(f"no-op: {statistics.median(noops):.2f} s (median of {noops})", flush=True)

    # (d) one authority's parameters changed
    changed = authorities[len(authorities) // 2]
    what = change_one_authority(ws, changed)
    r = cli(ws, "--jobs", str(args.jobs), sample=True)
    counts = summary(r["stdout"])
    own = sum(1 for a, _ in metas if a == changed)
    results["one_authority"] = {"change": what, "wall": r["wall"], "cpu": r["cpu"], "peak_rss": r["peak_rss"],
                                "counts": counts, "expected_rebuilt": own,
                                "only_its_documents": counts["built"] + counts["rerendered"] == own
                                and counts["up_to_date"] == total - own}
    print(f"one authority changed: {counts} in {r['wall']:.1f} s", flush=True)
    time.sleep(2.1)  # let the edit settle (the plan cache ignores inputs changed in the last 2 s)
    r = cli(ws, "--jobs", str(args.jobs))  # re-plans once after the change ...
    r = cli(ws, "--jobs", str(args.jobs))  # ... then no-ops from the cache again
    results["noop_after_change"] = {"wall": r["wall"], "counts": summary(r["stdout"])}

    # (f) documents per minute at several sizes (cold: --force rebuilds the subset from scratch)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip() and int(s) < total})
    throughput = []
    for size in sizes:
        subset = authorities[: max(1, size // 5)]
        r = cli(ws, "--jobs", str(args.jobs), "--force", "-a", ",".join(subset), sample=True)
        n = summary(r["stdout"])["built"]
        throughput.append({"documents": n, "wall": r["wall"], "cpu": r["cpu"], "peak_rss": r["peak_rss"],
                           "per_document_wall": r["wall"] / n, "documents_per_minute": 60 * n / r["wall"],
                           "load": [r["load_before"], r["load_after"]]})
        print(f"cold build of {n}: {r['wall']:.1f} s ({60 * n / r['wall']:.1f} documents/minute)", flush=True)
    throughput.append({"documents": total, "wall": cold["wall"], "cpu": cold["cpu"], "peak_rss": cold["peak_rss"],
                       "per_document_wall": cold["wall"] / total, "documents_per_minute": 60 * total / cold["wall"],
                       "load": results["cold"]["load"]})
    results["throughput"] = throughput
    results["peak_rss"] = max(t["peak_rss"] for t in throughput)
    results["speedup_vs_naive"] = naive_per_doc / results["cold"]["per_document_wall"]
    results["load_at_end"] = os.getloadavg()
    results["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = report(results)
    args.output.with_suffix(".md").write_text(markdown)
    print()
    print(markdown)
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(r: dict) -> str:
    m = r["machine"]
    naive = r["naive"]["per_document_wall"]
    cold = r["cold"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; Python {m['python']}, "
        f"Typst (typst package) {m['versions']['typst']}. Load average at start {r['load_at_start'][0]:.1f}, "
        f"at end {r['load_at_end'][0]:.1f}. Run {r['started']}.",
        "",
        "| measure | wall | per document (wall; CPU) | vs naive | load avg | target |",
        "|---|---|---|---|---|---|",
        f"| (a) naive loop (papermill CLI x8, nbconvert CLI, Typst PDF in a fresh process), {len(r['naive']['documents'])} documents "
        f"| {sum(d['wall'] for d in r['naive']['documents']):.1f} s | {naive:.1f} s; {r['naive']['per_document_cpu']:.1f} s "
        f"| 1x | | |",
        f"| (b) cold full build, {cold['documents']} documents, --jobs {r['settings']['jobs']} | {cold['wall']:.0f} s "
        f"| {cold['per_document_wall']:.2f} s; {cold['cpu'] / cold['documents']:.1f} s | {r['speedup_vs_naive']:.1f}x faster "
        f"| {cold['load'][0]:.1f} / {cold['load'][1]:.1f} | >= 15x |",
        f"| (c) no-op rebuild of {r['noop']['documents']} documents (CLI wall, median of 3) | "
        f"{r['noop']['median_wall']:.2f} s | | | | < 2 s |",
        f"| (d) one authority's params changed | {r['one_authority']['wall']:.1f} s "
        f"| {r['one_authority']['counts']['built'] + r['one_authority']['counts']['rerendered']} rebuilt, "
        f"{r['one_authority']['counts']['up_to_date']} up to date | | | only its {r['one_authority']['expected_rebuilt']} "
        f"({'yes' if r['one_authority']['only_its_documents'] else 'NO'}) |",
        f"| (e) peak memory of the build's process tree (sum of RSS) | {fmt_mb(r['peak_rss'])} | | | | < 2 GB |",
    ]
    for t in r["throughput"]:
        lines.append(f"| (f) cold build of {t['documents']} documents | {t['wall']:.0f} s | {t['per_document_wall']:.2f} s; "
                     f"{t['cpu'] / t['documents']:.1f} s ({t['documents_per_minute']:.1f} documents/minute) "
                     f"| {naive / t['per_document_wall']:.1f}x | {t['load'][0]:.1f} / {t['load'][1]:.1f} | linear |")
    steps = r["cold"].get("median_step_seconds", {})
    if steps:
        lines += ["", "Inside the cold build (median seconds per document, in one worker, two running at once): "
                  f"execute (8 sections) {r['cold']['median_execute_seconds']:.2f}, "
                  + ", ".join(f"{k} {v:.2f}" for k, v in sorted(steps.items())) + "."]
    first = r["naive"]["documents"][0]["steps"]
    lines += ["", "CPU: user+system seconds of the command's whole process tree (workers, kernels). Load average: "
              "1-minute, before / after (other work on the machine inflates wall times, less so CPU).",
              "", "Naive loop, first document (seconds): " + ", ".join(f"{k} {v:.1f}" for k, v in first.items()) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
