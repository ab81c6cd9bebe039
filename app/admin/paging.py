"""Long lists a page at a time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from app.extensions import db

PER_PAGE = 50
MAX_PAGE = 100_000


@dataclass
class Paged:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd is the first page."""
    text = (raw or "").strip()
    return min(int(text), MAX_PAGE) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


def paginate(query: Select, page: int, per_page: int = PER_PAGE) -> Paged:
    """One page of `query` (ordered by the caller) and the total count."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Paged(items=items, page=page, per_page=per_page, total=total)
