"""Commands for the annual cycle: new-edition, diff, export-registers, import-registers.

They register themselves on :data:`strategy_docs.cli.app.main` when this module is imported
(``cli.py`` imports it at the bottom). Errors are turned into messages and exit codes by the
shared ``@common`` decorator: 0 worked, 2 bad input.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from strategy_docs.cli.app import Output, common, main
from strategy_docs.wording import plural
from strategy_docs.inputs.workspace import Workspace


def _relative(path: Path, root: Path | None = None) -> str:
    try:
        return os.path.relpath(path, root or Path.cwd())
    except ValueError:
        return str(path)


@click.command(name="new-edition")
@click.option("--date", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date for the new version-history rows (default: today), as YYYY-MM-DD.")
@common
def new_edition(ws: Workspace, out: Output, today):
    """Roll the workspace forward one year, archiving the current edition first.

    The current parameters (and a snapshot of the data) are copied to params/editions/<edition>/;
    then the edition moves on a year and every strategy becomes a draft of the next edition.
    Published documents under build/ are left as they are.
    """
    from strategy_docs.annual.edition import roll_forward

    result = roll_forward(ws.root, today=today.date() if today else None)
    out.info(f"Archived the {result.previous_slug} edition in {_relative(result.archive, ws.root)}/.")
    for roll in result.strategies:
        moved = f"{roll.intentions_moved} intention{'s' if roll.intentions_moved != 1 else ''} moved on"
        out.detail(f"  {roll.authority} / {roll.client_group}: version {roll.version}, {moved}, "
                   f"{plural(roll.risks_flagged, 'risk')} flagged for review, {plural(len(roll.baselines), 'baseline')} updated.")
        for note in roll.notes:
            out.info(f"  check {roll.authority} / {roll.client_group}: {note}")
        if roll.missing_baselines:
            out.detail(f"    no data for: {', '.join(roll.missing_baselines)} (baselines unchanged)")
    click.echo(f"Rolled forward to the {result.new_label} edition ({result.new_slug}): "
               f"{plural(len(result.strategies), 'strategy', 'strategies')} set to draft. Next: review them, then run "
               f"'strategy-docs diff' to see what changed.")


@click.command(name="diff")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML report to write (default: build/diff-<previous>-to-<current>.html).")
@common
def diff(ws: Workspace, out: Output, output: Path | None):
    """Write one accessible HTML report of what changed since the previous edition, for every document."""
    from strategy_docs.annual.changes import diff_report
    from strategy_docs.atomic import atomic_write

    html, summary = diff_report(ws.root)
    target = output or ws.build / f"diff-{summary['previous']}-to-{summary['current']}.html"
    atomic_write(Path(target).resolve(), html)
    changed = sum(1 for counts in summary["documents"].values() if counts and any(counts.values()))
    new = sum(1 for counts in summary["documents"].values() if counts is None)
    click.echo(f"Compared {plural(len(summary['documents']), 'document')} with the {summary['previous']} edition: "
               f"{changed} with changes, {new} new. Report: {_relative(Path(target))}")


@click.command(name="export-registers")
@click.argument("authority")
@click.argument("client_group")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The workbook to write (default: AUTHORITY-CLIENT_GROUP-registers.xlsx here).")
@common
def export_registers(ws: Workspace, out: Output, authority: str, client_group: str, output: Path | None):
    """Write a strategy's risks, intentions, indicators and hypotheses to an Excel workbook."""
    from strategy_docs.annual.registers import export_registers as run_export

    path = run_export(ws.root, authority, client_group, output)
    click.echo(f"Wrote {_relative(path)}. Edit it in Excel, then run: "
               f"strategy-docs import-registers {_relative(path)} {authority} {client_group}")


@click.command(name="import-registers")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("authority")
@click.argument("client_group")
@common
def import_registers(ws: Workspace, out: Output, workbook: Path, authority: str, client_group: str):
    """Read an edited registers workbook back into the strategy's YAML (only the four registers change)."""
    from strategy_docs.annual.registers import import_registers as run_import

    result = run_import(ws.root, workbook, authority, client_group)
    for warning in result.warnings:
        out.info(f"warning: {warning}")
    counts = ", ".join(f"{n} {key}" for key, n in result.counts.items())
    if result.changed:
        click.echo(f"Updated {', '.join(result.changed)} in {_relative(result.path, ws.root)} ({counts}).")
    else:
        click.echo(f"No changes: {_relative(result.path, ws.root)} already matches the workbook ({counts}).")


COMMANDS = (new_edition, diff, export_registers, import_registers)
for _command in COMMANDS:
    if _command.name not in main.commands:
        main.add_command(_command)

__all__ = ["COMMANDS", "new_edition", "diff", "export_registers", "import_registers"]
