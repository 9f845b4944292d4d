"""One exception root for warroom, and the located problem every validation reports."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WarroomError", "DocumentError", "Problem"]


class WarroomError(Exception):
    """Root of every error warroom raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one document, located as precisely as we can."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class DocumentError(WarroomError):
    """Invalid input documents; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
