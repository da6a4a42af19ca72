"""The exceptions sharewise raises on purpose, the exit code each one maps to, and the located diagnostics they carry.

The command line catches :class:`SharewiseError` and prints its message on one line (plus any
details); anything else is a bug and is allowed to crash visibly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

__all__ = [
    "EXIT_DIFFERENT",
    "EXIT_INCOMPLETE",
    "EXIT_INVALID_ANSWER",
    "EXIT_INVALID_TREE",
    "EXIT_OK",
    "EXIT_TESTS_FAILED",
    "EXIT_USAGE",
    "EXIT_VERIFY_FAILED",
    "EXIT_WRITE_FAILED",
    "AnswersFileError",
    "Diagnostic",
    "SharewiseError",
    "TreeInvalid",
    "UnknownTree",
    "UsageError",
    "WriteFailed",
]

EXIT_OK = 0
EXIT_WRITE_FAILED = 1
EXIT_TESTS_FAILED = 1  # 'sharewise trees test': a case failed, or --strict found a coverage gap
EXIT_DIFFERENT = 1  # 'sharewise trees diff --exit-code': the two trees differ
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INVALID_ANSWER = 4
EXIT_INVALID_TREE = 5
EXIT_VERIFY_FAILED = 6  # 'sharewise records verify' found a problem


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a tree file; ``severity`` is ``error`` or ``warning``."""

    file: str
    line: int | None
    place: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = "warning: " if self.severity == "warning" else ""
        place = f" {self.place}:" if self.place else ":"
        return f"{where}{place} {label}{self.message}"


class SharewiseError(Exception):
    """Root of every error sharewise reports to the user rather than crashing on."""

    exit_code: ClassVar[int] = EXIT_USAGE


class UsageError(SharewiseError):
    """Raised when the command line or its arguments cannot be acted on."""


class UnknownTree(UsageError):
    """Raised when a tree id or path names no tree on the search path."""


class AnswersFileError(UsageError):
    """Raised when an answers file cannot be read or does not have the documented shape."""


class TreeInvalid(SharewiseError):
    """Raised when a tree needed for a decision fails validation; carries its diagnostics."""

    exit_code: ClassVar[int] = EXIT_INVALID_TREE

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


class WriteFailed(SharewiseError):
    """Raised when a record or draft cannot be written; nothing partial is left behind."""

    exit_code: ClassVar[int] = EXIT_WRITE_FAILED
