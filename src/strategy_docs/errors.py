"""The exception tree. Only the CLI turns these into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass
import dataclasses


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what is wrong, and how to fix it."""

    file: str
    message: str
    field: str = ""
    line: int | None = None
    fix: str = ""
    severity: str = "error"  # "error" stops the build; "warning" is reported only

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field '{self.field}'"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class StrategyDocsError(Exception):
    """Base class for every error strategy-docs raises on purpose."""

    exit_code = 1


class WorkspaceError(StrategyDocsError):
    """The workspace folder is missing or not laid out as expected."""

    exit_code = 2


class ValidationError(StrategyDocsError):
    """Parameters or data are invalid. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity != "error"]
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} found:\n"
            + "\n".join(f"  - {p}" for p in self.problems)
        )


class StrictWarningsError(ValidationError):
    """--strict: the input has warnings, and warnings count as failures."""

    def __init__(self, warnings: list[Problem]):
        super().__init__([dataclasses.replace(w, severity="error") for w in warnings])


class ParamsError(ValidationError):
    """A parameters (YAML or Excel) file is invalid."""


class DataError(ValidationError):
    """A data file (CSV or XLSX) is invalid."""


class SectionError(StrategyDocsError):
    """A section notebook failed while executing."""

    def __init__(self, section: str, message: str, cell: int | None = None, notebook: str = ""):
        self.section = section
        self.cell = cell
        self.notebook = notebook
        where = f"section '{section}'"
        if cell is not None:
            where += f", cell {cell}"
        super().__init__(f"{where}: {message}")


class RenderError(StrategyDocsError):
    """A document could not be rendered to HTML, PDF or DOCX (e.g. a chart without alt text)."""


class PublishError(StrategyDocsError):
    """Publishing outputs failed; the last good version is kept."""


class BuildLockedError(StrategyDocsError):
    """Another build holds the workspace lock."""

    exit_code = 2
