"""The command line: the only place errors become messages and exit codes."""

from strategy_docs.cli.app import main
from strategy_docs.cli import annual, preview  # noqa: E402,F401  (they add their commands to main)

__all__ = ["main"]
