"""Service teams (维修班组) and the districts each serves."""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.customers.models import District
from app.extensions import db

team_districts = Table(
    "team_districts",
    db.metadata,
    Column("team_id", ForeignKey("teams.id"), primary_key=True),
    # A district is served by exactly one team: routing must never be ambiguous.
    Column("district_id", ForeignKey("districts.id"), primary_key=True, unique=True),
)


class Team(db.Model):
    """A district service team; its supervisors are its users with the supervisor role."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="")

    districts: Mapped[list[District]] = relationship(secondary=team_districts, order_by=District.id)
    members: Mapped[list["User"]] = relationship(back_populates="team", order_by="User.id")  # noqa: F821

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name
