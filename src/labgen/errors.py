"""labgen's error types: one root, user errors carry where they were found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render a field path the way users write it: ``spec.gpuPools[1].mig``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one input file, at a position and a field path."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class LabgenError(Exception):
    """Root of every error labgen reports to a user."""


class SpecError(LabgenError):
    """One or more problems in lab specs; every one of them is reported."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(set(diagnostics)))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ToolError(LabgenError):
    """A required external tool (kubectl, helm) is missing or failed."""


class WriteError(LabgenError):
    """The output tree could not be written without touching files labgen does not own."""
