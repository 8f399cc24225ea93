"""`strategy-docs preview AUTHORITY CLIENT_GROUP`: the analyst's live preview of one document."""

from __future__ import annotations

import time

import click

from strategy_docs.cli.app import Output, common, main
from strategy_docs.loop.preview import DEFAULT_PORT
from strategy_docs.inputs.workspace import Workspace


@main.command()
@click.argument("authority")
@click.argument("client_group")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=None,
              help=f"Port to serve on (default: {DEFAULT_PORT}, or a free one if that is taken; 0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on. Only loopback addresses unless --allow-remote is given.")
@click.option("--allow-remote", is_flag=True, help="Allow a --host that other machines can reach.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in your web browser.")
@common
def preview(ws: Workspace, out: Output, authority: str, client_group: str, port: int | None, host: str,
            allow_remote: bool, open_browser: bool):
    """Serve one document on localhost, rebuild it when you save an input, and reload the page.

    Watches the document's params, its authority's data, the section notebooks and the
    templates; re-executes only the sections whose inputs changed, in one warm kernel. An
    invalid input or a failing section shows as an error page until the next good save.
    """
    from strategy_docs.loop.preview import Preview

    server = Preview(ws, authority, client_group, host=host, port=port, allow_remote=allow_remote,
                     on_message=out.info)
    server.start()
    out.info(f"Previewing {server.label} at {server.url}")
    out.info("It rebuilds when you save its params, data, notebooks or templates. Press Ctrl-C to stop.")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        while True:
            # A timed wait, not a blocking one: Linux may hand Ctrl-C to any thread, and Python
            # runs the handler only when the main thread next runs code, so a wait with no
            # timeout could sleep through it.
            time.sleep(0.2)
    except KeyboardInterrupt:
        out.info("Stopping the preview (after the rebuild in progress, if any)...")
    finally:
        server.stop()
