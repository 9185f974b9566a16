"""A problem found in the knowledge base (shared by the loader and the cross-file checks, so
neither imports the other's module in a cycle)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in the knowledge base, naming file, record and field."""

    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.record, self.field) if part)
        return f"{where}: {self.message}"
