"""Publishing safely: atomic replacement, build records, the manifest and the index.

Every output is written to a temporary file beside its destination and moved into place
with `os.replace` only once every format of the document exists, so a failed or killed
build never leaves a half-written file where a good one was, and never removes the last
good version. Records of what was built (and from which inputs) are the incremental cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from strategy_docs.atomic import atomic_write, stage
from strategy_docs.errors import BuildLockedError, PublishError
from strategy_docs.build.local_paths import scrub_local_paths
from strategy_docs.build.plan import DocumentJob, record_key, reusable_sections, section_keys, sha256_bytes
from strategy_docs.inputs.workspace import Workspace
from strategy_docs.inputs.bundled import template_dir
from strategy_docs.inputs.params import is_inside

if TYPE_CHECKING:
    from strategy_docs.build.execute import DocumentResult

FORMAT_SUFFIX = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}


def document_paths(ws: Workspace, job_key: tuple[str, str, str]) -> dict[str, Path]:
    edition, authority, group = job_key
    base = ws.build / edition / authority
    paths = {fmt: base / f"{group}{suffix}" for fmt, suffix in FORMAT_SUFFIX.items()}
    # Executed notebooks are provenance and cache, not the publication: in the work folder.
    paths["notebooks"] = ws.work / "notebooks" / edition / authority / group
    return paths


def failed_notebooks_dir(ws: Workspace, job_key: tuple[str, str, str]) -> Path:
    edition, authority, group = job_key
    return ws.work / "failed" / edition / authority / group


def record_path(ws: Workspace, job_key: tuple[str, str, str]) -> Path:
    edition, authority, group = job_key
    return ws.work / "records" / edition / authority / f"{group}.json"


def read_record(ws: Workspace, job_key: tuple[str, str, str]) -> dict | None:
    try:
        return json.loads(record_path(ws, job_key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(ws: Workspace, job: DocumentJob) -> bool:
    """Nothing to do: same inputs, same templates, and every output still on disk, unchanged (its
    size and sha256 as recorded: a file changed in place is published again, as a forced build would)."""
    record = read_record(ws, job.key)
    if not record or record.get("render_key") != job.render_key:
        return False
    paths = document_paths(ws, job.key)
    for fmt in job.formats:
        entry = record.get("files", {}).get(fmt)
        if not entry or not file_matches(paths[fmt], entry):
            return False
    return True


def cached_notebooks(ws: Workspace, job: DocumentJob) -> dict[str, bytes] | None:
    """Executed section notebooks from an earlier build whose section inputs are unchanged.

    With the same execution key every section is reused (re-render only); otherwise only
    the sections whose own inputs changed will be executed again.
    """
    record = read_record(ws, job.key)
    if not record:
        return None
    folder = document_paths(ws, job.key)["notebooks"]
    reusable = {}
    for section in sorted(reusable_sections(job, record)):
        name = f"{section}.ipynb"
        if (folder / name).is_file():
            reusable[name] = (folder / name).read_bytes()
    return reusable or None


def publish_document(ws: Workspace, result: DocumentResult, built_at: str, failed_formats: tuple[str, ...] = (),
                     format_failures: dict[str, str] | None = None, project_name: str | None = None) -> dict:
    """Move a successful document's outputs into place and record how they were made, as one step.

    `failed_formats` were attempted and failed this time (`format_failures` says why): their
    earlier files are removed, not carried, and the index says they failed. With `project_name`
    the index is rewritten in the same step as the manifests (see Switch).
    """
    job = result.job
    missing = [fmt for fmt in job.formats if fmt not in result.outputs]
    if missing:
        raise PublishError(f"{job.label}: no {', '.join(missing)} output was produced; the last good version is kept.")
    paths = document_paths(ws, job.key)
    _refuse_links_out_of_build(ws, [paths[fmt] for fmt in job.formats] + [paths["notebooks"], record_path(ws, job.key),
                                                                          attempt_path(ws, job.key)])
    previous = read_record(ws, job.key) or {}
    # "Built" (shown in the index) is when the published bytes last changed: a forced build
    # that publishes the same bytes keeps it, so the index too is what an incremental build gives.
    published_at = built_at
    if previous.get("built_at") and all(
            previous.get("files", {}).get(fmt, {}).get("sha256") == sha256_bytes(result.outputs[fmt]) for fmt in job.formats):
        published_at = previous["built_at"]
    files = {
        fmt: {"path": paths[fmt].relative_to(ws.build).as_posix(), "bytes": len(result.outputs[fmt]),
              "sha256": sha256_bytes(result.outputs[fmt]),
              "built_at": _kept_time(previous, fmt, sha256_bytes(result.outputs[fmt])) or published_at}
        for fmt in job.formats
    }
    # A format this build did not make (an HTML-only build) stays listed while its file from an
    # earlier build is on disk, intact: the index shows it "from <date>" (docs/workspaces.md).
    carried = {fmt: entry for fmt, entry in previous.get("files", {}).items()
               if fmt not in files and fmt not in failed_formats and file_matches(ws.build / entry.get("path", ""), entry)}
    for entry in carried.values():
        entry.setdefault("built_at", previous.get("built_at"))
    record = {
        "edition": job.edition,
        "authority": job.authority,
        "client_group": job.client_group,
        "language": job.language,
        "exec_key": job.exec_key,
        "section_keys": section_keys(job, result.section_reads),
        "section_reads": result.section_reads,
        "render_key": job.render_key,
        "formats": list(job.formats),
        "built_at": published_at,
        "executed_at": built_at if result.executed else previous.get("executed_at", built_at),
        "notebooks": sorted(result.notebooks),
        "files": files | carried,
        "inputs": job.inputs,
        # build.reusable_pdf: skip re-rendering an unchanged PDF (a carried PDF keeps its own)
        "pdf_source": getattr(result, "pdf_source", None) or (previous.get("pdf_source") if "pdf" in carried else None),
        "meta": {k: v for k, v in job.meta.items() if k != "logo_data_uri"},
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }
    # Every format, the record and the note of failed formats switch as one step (see commit_switch).
    switch = Switch(ws, project_name)
    with switch.staging():
        # The executed notebooks switch with the record that says which inputs they were run with:
        # a notebook newer than its record would be reused for the record's inputs (never stale).
        if result.executed_sections:
            switch.put_folder(paths["notebooks"], result.notebooks)
        for fmt in job.formats:
            switch.put(paths[fmt], result.outputs[fmt])
        for fmt in failed_formats:  # never a file of other inputs beside the new ones
            switch.remove(paths[fmt])
        switch.put(record_path(ws, job.key), json.dumps(record, indent=2, sort_keys=True).encode("utf-8"))
        note = _attempt_note(job, dict(format_failures or {}), built_at, previous, read_attempt(ws, job.key), ws.root)
        if note is None:
            switch.remove(attempt_path(ws, job.key))
        else:
            switch.put(attempt_path(ws, job.key), note)
    switch.commit(job.key)
    shutil.rmtree(failed_notebooks_dir(ws, job.key), ignore_errors=True)
    return record


# ---------------------------------------------------------------- one document, one step


class Switch:
    """The files of one document replaced together, even across kill -9.

    Each new file is first written in full beside its destination (a `.NAME.XXXXXXXX.tmp` file,
    flushed to disk). Then a journal naming every move and removal is written atomically: that
    is the moment of commit. The moves follow, the manifests and the index are rewritten from the
    records, and the journal is deleted. A build killed before the journal leaves only temporaries
    (swept by the next build); one killed after it is finished by the next build (`roll_forward`)
    before anything else, so readers never keep a mixed pair and the manifest, the index and the
    records always agree, even when a build is stopped halfway through.
    """

    def __init__(self, ws: Workspace, project_name: str | None = None):
        self.ws = ws
        self.project_name = project_name  # the index's title: with it, the index is rewritten in the step
        self.moves: list[tuple[Path, Path]] = []
        self.removals: list[Path] = []

    def put(self, path: Path, data: bytes) -> None:
        self.moves.append((stage(path, data), path))

    def put_folder(self, folder: Path, files: dict[str, bytes]) -> None:
        """`folder` to hold exactly `files` (its other files are removed in the same step)."""
        for name, data in files.items():
            self.put(folder / name, data)
        if folder.is_dir():
            self.removals.extend(p for p in sorted(folder.iterdir()) if p.is_file() and p.name not in files)

    def move(self, path: Path, target: Path) -> None:
        """An existing file moved elsewhere in the same step (a withdrawn document's)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self.moves.append((path, target))

    def remove(self, path: Path) -> None:
        self.removals.append(path)

    @contextmanager
    def staging(self):
        """Stage the files; one that cannot be written (a full disk, a read-only folder) removes the
        ones already staged and becomes a PublishError naming it: nothing of the document changes."""
        try:
            yield self
        except OSError as exc:
            self.discard()
            where = Path(exc.filename).relative_to(self.ws.root).as_posix() if exc.filename and Path(
                exc.filename).is_relative_to(self.ws.root) else (exc.filename or "a file")
            raise PublishError(f"could not write {where} ({exc.strerror or exc}); nothing of this document "
                               "was replaced and its last good version is kept. Fix: free some disk space or make "
                               "the folder writable, then build again.") from exc
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        for staged, final in self.moves:
            if staged.name.endswith(".tmp") and staged.name.startswith(f".{final.name}."):
                staged.unlink(missing_ok=True)
        self.moves = []

    def commit(self, job_key: tuple[str, str, str]) -> None:
        rel = self.ws.root
        journal = {"moves": [[a.relative_to(rel).as_posix(), b.relative_to(rel).as_posix()] for a, b in self.moves],
                   "removals": [p.relative_to(rel).as_posix() for p in self.removals]}
        if self.project_name is not None:
            journal["index"] = {"project_name": self.project_name}
        path = journal_folder(self.ws) / f"{'--'.join(job_key)}.json"
        with self.staging():
            atomic_write(path, json.dumps(journal, indent=1).encode("utf-8"))
        _apply_journal(self.ws, path)


def journal_folder(ws: Workspace) -> Path:
    return ws.work / "journal"


def _apply_journal(ws: Workspace, journal: Path) -> None:
    """Finish one committed switch (again, if a kill stopped it): every move, every removal, the
    manifests and, when the journal names the index, the index."""
    try:
        steps = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        journal.unlink(missing_ok=True)  # written atomically: unreadable means not ours
        return
    tops = (ws.build.resolve(), ws.work.resolve())

    def place(rel: str) -> Path | None:
        path = ws.root / rel
        return path if ".." not in Path(rel).parts and any(is_inside(path.parent, top) for top in tops) else None

    for staged, final in steps.get("moves", []):
        staged_path, final_path = place(staged), place(final)
        if staged_path is not None and final_path is not None and staged_path.is_file():
            final_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged_path, final_path)
    for removal in steps.get("removals", []):
        path = place(removal)
        if path is not None:
            path.unlink(missing_ok=True)
    entries = write_manifests(ws)
    index = steps.get("index")
    if isinstance(index, dict):
        try:
            write_index(ws, entries, str(index.get("project_name") or ""))
        except OSError:  # the document is published; the end of the build writes the index again, or says why not
            (ws.state / "index-stamp").unlink(missing_ok=True)
    journal.unlink(missing_ok=True)


def roll_forward(ws: Workspace) -> int:
    """Finish the switches a killed build committed but did not complete (called holding the lock,
    before temporaries are swept). The index is then rewritten at the end of this build."""
    folder = journal_folder(ws)
    journals = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for journal in journals:
        _apply_journal(ws, journal)
    if journals:
        (ws.state / "index-stamp").unlink(missing_ok=True)
    return len(journals)


def _kept_time(previous: dict, fmt: str, sha256: str) -> str | None:
    """When these very bytes were first published (a rebuild giving the same file keeps its date)."""
    entry = previous.get("files", {}).get(fmt) or {}
    if entry.get("sha256") == sha256:
        return entry.get("built_at") or previous.get("built_at")
    return None


def file_matches(path: Path, entry: dict) -> bool:
    """The file is the one recorded: same size and, read back, the same sha256."""
    try:
        if not path.is_file() or path.stat().st_size != entry.get("bytes"):
            return False
        return file_sha256(path) == entry.get("sha256")
    except OSError:
        return False


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- failed attempts


def attempt_path(ws: Workspace, job_key: tuple[str, str, str]) -> Path:
    edition, authority, group = job_key
    return ws.work / "attempts" / edition / authority / f"{group}.json"


def read_attempt(ws: Workspace, job_key: tuple[str, str, str]) -> dict | None:
    try:
        return json.loads(attempt_path(ws, job_key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_attempt(ws: Workspace, job: DocumentJob, failed: dict[str, str], at: str,
                   previous_record: dict | None = None, project_name: str | None = None) -> None:
    """Note which formats this build failed to publish, and why (a document that published nothing);
    the manifests are rewritten with it. An attempt with no failure clears the note."""
    path = attempt_path(ws, job.key)
    _refuse_links_out_of_build(ws, [path])
    note = _attempt_note(job, failed, at, previous_record, read_attempt(ws, job.key), ws.root)
    switch = Switch(ws, project_name)
    with switch.staging():
        if note is None:
            if not path.exists():
                return
            switch.remove(path)
        else:
            switch.put(path, note)
    switch.commit(job.key)


def _attempt_note(job: DocumentJob, failed: dict[str, str], at: str, previous_record: dict | None,
                  earlier: dict | None, workspace: Path | None = None) -> bytes | None:
    """Each failed format keeps the date of its last good build (from the record, or an earlier
    note), so the index can say "failed; last good build <date>"."""
    if not failed:
        return None
    earlier_formats = (earlier or {}).get("formats", {})
    files = (previous_record or {}).get("files", {})
    formats = {}
    for fmt, message in sorted(failed.items()):
        if fmt in files:
            last_good = files[fmt].get("built_at") or (previous_record or {}).get("built_at")
        else:
            last_good = (earlier_formats.get(fmt) or {}).get("last_good")
        formats[fmt] = {"message": scrub_message(message, workspace), "last_good": last_good}
    note = {"edition": job.edition, "authority": job.authority, "client_group": job.client_group,
            "language": job.language, "at": at,
            "formats": formats, "meta": {k: v for k, v in job.meta.items() if k != "logo_data_uri"}}
    return json.dumps(note, indent=2, sort_keys=True).encode("utf-8")


def all_attempts(ws: Workspace) -> dict[tuple[str, str, str], dict]:
    notes = {}
    root = ws.work / "attempts"
    if root.is_dir():
        for path in sorted(root.rglob("*.json")):
            try:
                note = json.loads(path.read_text(encoding="utf-8"))
                notes[record_key(note)] = note
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return notes


def scrub_message(message: str, workspace: Path | None = None) -> str:
    return scrub_local_paths(str(message), workspace)


def _refuse_links_out_of_build(ws: Workspace, paths: list[Path]) -> None:
    """Never follow a symlinked folder inside build/ (or the work folder) to write elsewhere
    (build/ itself may be a link)."""
    for path in paths:
        top = ws.work if path.is_relative_to(ws.work) else ws.build
        if not is_inside(path.parent, top.resolve()):
            raise PublishError(f"{path.parent.relative_to(ws.root).as_posix()} is a link to a folder outside "
                               f"{top.name}/; nothing was written there. Fix: replace the link with a real folder.")


def keep_failed_notebooks(ws: Workspace, result: DocumentResult) -> Path | None:
    """Keep the executed notebooks of a failed document where an analyst can open them."""
    if not result.notebooks:
        return None
    folder = failed_notebooks_dir(ws, result.job.key)
    _refuse_links_out_of_build(ws, [folder / "x"])
    _replace_folder(folder, result.notebooks)
    if result.failure and result.failure.notebook:
        return folder / result.failure.notebook
    return folder


def _replace_folder(folder: Path, files: dict[str, bytes]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    for name, data in files.items():
        (staging / name).write_bytes(data)
    old = None
    if folder.exists():
        old = folder.parent / f".{folder.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(folder, old)
    os.replace(staging, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def all_records(ws: Workspace) -> list[dict]:
    records = []
    root = ws.state / "records"
    if root.is_dir():
        for path in sorted(root.rglob("*.json")):
            try:
                records.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
    return records


def all_record_stamp(ws: Workspace) -> str:
    """Which build records exist and when each was last written: the index changes only with these."""
    root = ws.state / "records"
    lines = []
    if root.is_dir():
        for path in sorted(root.rglob("*.json")):
            try:
                st = path.stat()
            except OSError:
                continue
            # ...and which of its published files still exist: the index links only those.
            published = ws.build / path.relative_to(root).with_suffix("")
            present = "".join("1" if published.with_name(published.name + suffix).is_file() else "0"
                              for suffix in FORMAT_SUFFIX.values())
            lines.append(f"{path.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{present}")
    attempts = ws.work / "attempts"
    if attempts.is_dir():
        for path in sorted(attempts.rglob("*.json")):
            try:
                lines.append(f"attempt:{path.relative_to(attempts).as_posix()}:{sha256_bytes(path.read_bytes())}")
            except OSError:
                continue
    return sha256_bytes("\n".join(lines).encode("utf-8"))


def withdraw_documents(ws: Workspace, matrix: set[tuple[str, str]]) -> list[dict]:
    """Take out of the publish folder every document whose authority / client group left the matrix.

    The rule (docs/workspaces.md): the publish folder and the index hold exactly the documents of
    the current matrix, of every edition. A withdrawn document's files move to
    .strategy-docs/withdrawn/ (nothing is lost); its record and executed notebooks are dropped, so
    a pair put back in the matrix is built afresh.
    """
    withdrawn = []
    for record in all_records(ws):
        if _in_matrix(record, matrix):
            continue
        if record.get("kind") == "summary":  # not in the matrix: summary_doc.remove_unplanned withdraws these
            continue
        key = record_key(record)
        # One step, as a publish is: a kill -9 halfway never leaves a record naming files that moved,
        # nor files in build/ that no record names (the next build finishes the step).
        switch = Switch(ws)
        moved = []
        for info in record.get("files", {}).values():
            published = ws.build / info["path"]
            if published.is_file():
                switch.move(published, ws.work / "withdrawn" / info["path"])
                moved.append(published)
        switch.remove(record_path(ws, key))
        switch.remove(attempt_path(ws, key))
        switch.commit(key)
        for published in moved:
            _remove_empty_parents(published.parent, ws.build)
        shutil.rmtree(document_paths(ws, key)["notebooks"], ignore_errors=True)
        withdrawn.append(record)
    for key, note in all_attempts(ws).items():  # failed before it was ever published
        if not _in_matrix(note, matrix):
            attempt_path(ws, key).unlink(missing_ok=True)
    return withdrawn


def _in_matrix(record: dict, matrix: set) -> bool:
    """Whether a record's document is still to be published: its (authority, client group) pair is
    in the matrix and, for a language other than English, (authority, client group, language) too."""
    pair = (record.get("authority"), record.get("client_group"))
    language = record.get("language") or "en"
    return pair in matrix and (language == "en" or (*pair, language) in matrix)


def _remove_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and folder.is_relative_to(top):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def write_manifest_and_index(ws: Workspace, project_name: str, matrix: set[tuple[str, str]] | None = None) -> list[dict]:
    """Rewrite each edition's manifest (in the work folder) and build/index.html from the records
    of what exists; with `matrix`, documents outside it are withdrawn first."""
    if matrix is not None:
        withdraw_documents(ws, matrix)
    entries = write_manifests(ws)
    write_index(ws, entries, project_name)
    return entries


def write_index(ws: Workspace, entries: list[dict], project_name: str) -> None:
    """build/index.html from the manifests' entries (write_manifests)."""
    from strategy_docs.outputs import index as index_page  # lazy: Jinja loads only when the index changes

    html = index_page.render_index(entries, project_name=project_name, build_date=now_iso()[:10], base_dir=ws.build,
                                   template_dir=template_dir(ws.root, "index"))
    atomic_write(ws.build / "index.html", html.encode("utf-8"))


def write_manifests(ws: Workspace) -> list[dict]:
    """Each edition's manifest from the records and failure notes; returns the index's entries."""
    records = all_records(ws)
    attempts = all_attempts(ws)
    entries = []
    by_edition: dict[str, list[dict]] = {}
    seen = set()
    for record in records:
        key = record_key(record)
        seen.add(key)
        entry = _index_entry(ws, record, attempts.get(key))
        if entry is None:
            continue
        if any(info["href"] for info in entry["formats"].values()):
            by_edition.setdefault(record["edition"], []).append((record, entry))
        entries.append(entry)
    for key, note in attempts.items():  # failed, never published: listed so the failure is seen
        if key not in seen:
            entry = _index_entry(ws, {"edition": key[0], "authority": key[1], "client_group": note["client_group"],
                                      "language": note.get("language"), "meta": note.get("meta", {}), "files": {}}, note)
            if entry is not None:
                entries.append(entry)
    for edition, edition_records in by_edition.items():
        manifest = {
            "edition": edition,
            "generated_at": now_iso(),
            "documents": [
                {k: r[k] for k in ("authority", "client_group", "built_at", "executed_at", "inputs", "exec_key", "render_key")}
                | {"language": r.get("language") or "en"}
                | {"title": r.get("meta", {}).get("title"), "status": r.get("meta", {}).get("status"),
                   # only the files on disk, each with its state (current, older, stale) as the index shows it
                   "files": {fmt: info for fmt, info in r.get("files", {}).items() if e["formats"].get(fmt, {}).get("href")},
                   "formats": {fmt: {k: v for k, v in st.items() if k != "href"} for fmt, st in e["formats"].items()}}
                for r, e in edition_records
            ],
        }
        atomic_write(manifest_path(ws, edition), json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
    folder = ws.work / "manifests"
    for old in (folder.glob("*.json") if folder.is_dir() else []):
        if old.stem not in by_edition:  # every document of that edition withdrawn or gone
            old.unlink(missing_ok=True)
    entries.sort(key=lambda e: (e["edition"], e["authority_name"], e["client_group_name"]))
    return entries


def format_statuses(ws: Workspace, record: dict, attempt: dict | None) -> dict[str, dict]:
    """Each format's state for the index (the rule is in docs/workspaces.md):

    current   - made by the document's last successful publish;
    older     - kept from an earlier build that made it (e.g. the last build was HTML only): "from <date>";
    stale     - a file from an earlier build is on disk but this build's attempt failed: out of date;
    failed    - attempted and failed, no file published: with the date of its last good build, if any.
    """
    failed = (attempt or {}).get("formats", {})
    made = set(record.get("formats", []))
    statuses = {}
    for fmt in FORMAT_SUFFIX:
        info = record.get("files", {}).get(fmt)
        on_disk = bool(info) and (ws.build / info["path"]).is_file()
        href = info["path"] if on_disk else None
        built = (info or {}).get("built_at") or record.get("built_at")
        if fmt in failed:
            state = "stale" if on_disk else "failed"
            statuses[fmt] = {"state": state, "href": href, "since": built if on_disk else failed[fmt].get("last_good"),
                             "reason": failed[fmt].get("message", ""), "failed_at": attempt.get("at")}
        elif on_disk:
            statuses[fmt] = {"state": "current" if fmt in made else "older", "href": href, "since": built,
                             "reason": "", "failed_at": None}
    return statuses


def _index_entry(ws: Workspace, record: dict, attempt: dict | None) -> dict | None:
    formats = format_statuses(ws, record, attempt)
    if not formats:
        return None
    meta = record.get("meta") or {}
    return {
        "authority_id": record["authority"],
        "authority_name": meta.get("authority_name", record["authority"]),
        "client_group_id": record["client_group"],
        "client_group_name": meta.get("client_group_name", record["client_group"]),
        "language": record.get("language") or "en",
        "alternates": meta.get("alternates") or [],
        "edition": record["edition"],
        "edition_label": meta.get("edition_label", record["edition"]),
        "title": meta.get("title", ""),
        "status": meta.get("status", ""),
        "built_at": record.get("built_at", ""),
        "html_href": (formats.get("html") or {}).get("href"),
        "pdf_href": (formats.get("pdf") or {}).get("href"),
        "docx_href": (formats.get("docx") or {}).get("href"),
        "formats": formats,
    }


def manifest_path(ws: Workspace, edition: str) -> Path:
    """What was built from which inputs, per edition: provenance for auditors, not for the website."""
    return ws.work / "manifests" / f"{edition}.json"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@contextmanager
def build_lock(ws: Workspace, wait: bool = False):
    """One build per workspace at a time; the second waits or stops with a clear message."""
    ws.state.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(ws.state / "build.lock"))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise BuildLockedError(
            "Another build is running in this workspace. Fix: wait for it to finish, or run again with --wait "
            "to queue behind it."
        ) from None
    try:
        roll_forward(ws)  # before the sweep: a committed switch's staged files are its new versions
        remove_stale_temporaries(ws)
        remove_legacy_working_files(ws)
        remove_orphaned_kernel_folders()
        yield
    finally:
        lock.release()


KERNEL_FOLDER_PREFIX = "strategy-docs-kernel-"  # + the worker's pid: a folder of a dead worker is an orphan
_KERNEL_FOLDER = re.compile(re.escape(KERNEL_FOLDER_PREFIX) + r"(\d+)-")


def remove_orphaned_kernel_folders(top: str | None = None) -> list[str]:
    """Remove the socket folders (sockets, connection file) of kernels whose worker is gone.

    Only `kill -9` of a serial build can leave one (every other stop cleans up); the next build
    calls this. A folder whose worker still runs (another workspace's build) is left alone.
    """
    top = top or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(top)
    except OSError:
        return removed
    for name in names:
        match = _KERNEL_FOLDER.match(name)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # its worker is alive
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError):
            continue  # someone else's process
        shutil.rmtree(os.path.join(top, name), ignore_errors=True)
        removed.append(name)
    return removed


def remove_stale_temporaries(ws: Workspace) -> list[Path]:
    """Delete what a killed build left half-written beside the published files.

    Called only while holding the build lock, so no build is writing them. Only our own names
    are touched: `.NAME.XXXXXXXX.tmp` files from `atomic_write`, `.NAME.XXXXXXXX` and
    `.NAME.old-PID` folders from `_replace_folder`. Foreign hidden folders
    (a .git for publishing, say) are left alone.
    """
    removed: list[Path] = []
    for top in (ws.build, ws.work):
        if top.is_dir():
            removed.extend(_remove_stale_under(top))
    return removed


def _remove_stale_under(top: Path) -> list[Path]:
    removed: list[Path] = []
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        for name in list(dirs):
            if _STALE_DIR.match(name) and not (here / name).is_symlink():
                shutil.rmtree(here / name, ignore_errors=True)
                removed.append(here / name)
                dirs.remove(name)
            elif name.startswith("."):
                dirs.remove(name)
        for name in files:
            if _STALE_FILE.match(name):
                (here / name).unlink(missing_ok=True)
                removed.append(here / name)
    return removed


def remove_legacy_working_files(ws: Workspace) -> None:
    """Earlier versions kept working files inside build/: build/.state, build/failed, each
    document's notebooks/ folder (caches, they go) and build/prepared (an analyst may have
    edited those notebooks: they move to prepared/ beside build/, or into the work folder)."""
    prepared = ws.build / "prepared"
    if prepared.is_dir() and not prepared.is_symlink():
        target = ws.root / "prepared"
        if target.exists():
            target = ws.work / f"prepared-from-build-{os.getpid()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(prepared, target)
    for name in (".state", "failed"):
        legacy = ws.build / name
        if legacy.is_dir() and not legacy.is_symlink():
            shutil.rmtree(legacy, ignore_errors=True)
    for legacy in ws.build.glob("*/*/*/notebooks"):
        if legacy.is_dir() and not legacy.is_symlink():
            shutil.rmtree(legacy, ignore_errors=True)
            _remove_empty_parents(legacy.parent, ws.build)


_STALE_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
_STALE_DIR = re.compile(r"^\..+\.(?:[a-z0-9_]{8}|old-\d+)$")
