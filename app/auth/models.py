"""Staff users: agents, technicians, supervisors and administrators."""
from __future__ import annotations

import enum

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.models import Timestamped, enum_column
from app.extensions import db


class Role(enum.StrEnum):
    AGENT = "agent"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(UserMixin, Timestamped, db.Model):
    """A member of staff; technicians and supervisors belong to a team."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    family_name: Mapped[str] = mapped_column(String(40))
    given_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at sign-out, deactivation and password change: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    team: Mapped["Team | None"] = relationship(back_populates="members")  # noqa: F821

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The session keeps the id with the session version, so bumping the version ends old sessions."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def full_name(self) -> str:
        """Chinese order (family name first) when the name is Chinese, else Western order."""
        if self.family_name and not self.family_name.isascii():
            return f"{self.family_name}{self.given_name}"
        return f"{self.given_name} {self.family_name}".strip()
