"""Model mixins shared by the feature packages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow
from app.core.types import UTCDateTime


class Timestamped:
    """created_at and updated_at, set from the clock at write time (never at import time)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def enum_column(enum_cls, **kwargs):
    """A portable enum: VARCHAR plus a CHECK constraint, so adding a value is a plain migration."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=24,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
        name=kwargs.pop("name", enum_cls.__name__.lower()),
    )
