"""Lists that grow with the caseload, shown a page at a time (the query does the paging)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import abort, request
from sqlalchemy import Select, func, select

from planner.web import db

PAGE_DIGITS = 6


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, where it is, and how many there are in all."""

    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.size)

    def numbers(self) -> list[int | None]:
        """Page numbers to link: the first, the last and the current page's neighbours;
        None where pages are left out."""
        wanted = sorted({1, self.pages, *range(self.number - 1, self.number + 2)}
                        & set(range(1, self.pages + 1)))
        out: list[int | None] = []
        for n in wanted:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def requested(arg: str = "page") -> int:
    """The page number asked for (1 when not given); a 400 for anything but a number >= 1."""
    raw = request.args.get(arg, "1").strip()
    if not raw.isdigit() or len(raw) > PAGE_DIGITS or int(raw) < 1:
        abort(400, description="A page number is a whole number from 1 up. "
                               "Go back to the first page of the list.")
    return int(raw)


def paginate(query: Select[Any], size: int, arg: str = "page") -> Page:
    """Run one page of query (a page past the end shows the last page)."""
    session = db.session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    total = int(total or 0)
    number = min(requested(arg), max(1, math.ceil(total / size)))
    items = list(session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, number, size, total)
