"""The network (district → substation → building) and the customer accounts behind each flat."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped
from app.core.types import UTCDateTime
from app.extensions import db


class District(db.Model):
    """An administrative district (区), the unit of routing to a service team."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))

    substations: Mapped[list["Substation"]] = relationship(
        back_populates="district", order_by="Substation.name"
    )

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name


class Substation(db.Model):
    """A heat-exchange station (换热站): when it fails, every building behind it is cold."""

    __tablename__ = "substations"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    district: Mapped[District] = relationship(back_populates="substations")
    buildings: Mapped[list["Building"]] = relationship(back_populates="substation")


class Building(db.Model):
    """A residential building (楼), found by a normalised key of its compound and number."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("substation_id", "key", name="substation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    substation_id: Mapped[int] = mapped_column(ForeignKey("substations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    street_address: Mapped[str] = mapped_column(String(200), default="")
    key: Mapped[str] = mapped_column(String(120), index=True)

    substation: Mapped[Substation] = relationship(back_populates="buildings")


class CustomerAccount(Timestamped, db.Model):
    """A heating account (供热户号) for one flat, reachable on one or more phones."""

    __tablename__ = "customer_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="")
    flat: Mapped[str] = mapped_column(String(16), default="")

    building: Mapped[Building] = relationship()
    phones: Mapped[list["CustomerPhone"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )


class CustomerPhone(db.Model):
    """One E.164 phone number of an account."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("account_id", "number", name="account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id"))
    number: Mapped[str] = mapped_column(String(20), index=True)

    account: Mapped[CustomerAccount] = relationship(back_populates="phones")


class Outage(Timestamped, db.Model):
    """A known heating outage (停热) at a substation: every flat behind it is cold until it ends."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    substation_id: Mapped[int] = mapped_column(ForeignKey("substations.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    estimated_restore_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(200), default="")

    substation: Mapped[Substation] = relationship()
