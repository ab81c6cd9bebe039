"""Ticket, TicketEvent and Category."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Timestamped, enum_column
from app.core.time import utcnow
from app.core.types import UTCDateTime
from app.extensions import db


class Status(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    WAITING = "waiting"  # waiting for the resident: SLA clocks paused
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(Status) - {Status.RESOLVED, Status.CLOSED, Status.CANCELLED}
# The same, as SQL text: a partial index over the open tickets is only used by a query whose condition
# the planner can prove implies the index's, so both spell it with these literals.
OPEN_STATUSES_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in Status if s in OPEN_STATUSES))


class Priority(enum.StrEnum):
    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Channel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"
    SMS = "sms"
    VOICE = "voice"
    API = "api"


class Closure(enum.StrEnum):
    """How the loop was closed."""

    RATED = "rated"  # the resident gave a score of 3 or more
    NO_RESPONSE = "no_response"  # the resident never answered the survey
    CALLBACK = "callback"  # a supervisor called back and recorded why the resident stays unsatisfied


class ActorKind(enum.StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    SYSTEM = "system"


class Category(db.Model):
    """A kind of complaint with its default priority."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    default_priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name


class Ticket(Timestamped, db.Model):
    """One complaint, from intake to the resident's score."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("indoor_temp IS NULL OR (indoor_temp >= -10 AND indoor_temp <= 40)", name="indoor_temp_range"),
        CheckConstraint("measured_temp IS NULL OR (measured_temp >= -10 AND measured_temp <= 40)",
                        name="measured_temp_range"),
        CheckConstraint(
            "satisfaction_score IS NULL OR (satisfaction_score >= 1 AND satisfaction_score <= 5)",
            name="score_range",
        ),
        CheckConstraint("(status = 'closed') = (closure IS NOT NULL)", name="closed_has_closure"),
        CheckConstraint("(status = 'waiting') = (sla_paused_at IS NOT NULL)", name="waiting_pauses_sla"),
        CheckConstraint(
            "status NOT IN ('assigned', 'acknowledged', 'en_route', 'on_site') OR assignee_id IS NOT NULL",
            name="work_has_assignee",
        ),
        Index("ix_tickets_team_status", "team_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_phone_created", "phone", "created_at"),
        # The queue pages by (created_at, id) with or without a district or team filter (keyset).
        Index("ix_tickets_created_id", "created_at", "id"),
        Index("ix_tickets_district_created", "district_id", "created_at", "id"),
        Index("ix_tickets_team_created", "team_id", "created_at", "id"),
        # Duplicate warnings look for recent tickets at one building or substation.
        Index("ix_tickets_building_created", "building_id", "created_at"),
        Index("ix_tickets_substation_created", "substation_id", "created_at"),
        # The SLA sweep, the at-risk and breached lists read open tickets by their marks.
        Index("ix_tickets_sla_next_check", "sla_next_check_at"),
        # (covering: the lists and their counts filter by team or district without visiting the rows)
        Index("ix_tickets_sla_breach", "sla_breach_at", "sla_warn_at", "team_id", "district_id"),
        # The live board counts open tickets by district and status for a team or the whole city.
        Index("ix_tickets_status_district_team", "status", "district_id", "team_id"),
        Index("ix_tickets_sla_warn", "sla_warn_at"),
        # Reports count resolved tickets by period.
        Index("ix_tickets_resolved_at", "resolved_at"),
        # The SLA sweep finds the call-backs owed whose due time has passed (app.sla.escalation.callback_round).
        # Partial: only the few reopened tickets are in it.
        Index("ix_tickets_callback_due", "callback_due_at",
              postgresql_where=text("status = 'reopened'"), sqlite_where=text("status = 'reopened'")),
        # The team board walks each technician's open tickets (0: nobody's) in its order, the due time first,
        # and reads only a group's most urgent few (app.reports.board.rows_by_index). The warning point and
        # the pause come after the unique id, so they only let the walk test them without visiting the rows.
        Index("ix_tickets_board_order", func.coalesce(literal_column("assignee_id"), 0), "sla_breach_at",
              "created_at", "id", "sla_warn_at", "sla_paused_at",
              postgresql_where=text(OPEN_STATUSES_SQL), sqlite_where=text(OPEN_STATUSES_SQL)),
        # The SLA, times and substation reports read a season of received tickets from the index alone
        # (index-only scan): it carries every column they filter, group or count by. INCLUDE is
        # PostgreSQL's; on SQLite this is a plain created_at index.
        Index("ix_tickets_reports_created", "created_at",
              postgresql_include=["team_id", "district_id", "category_id", "substation_id",
                                  "respond_met", "on_site_met", "resolve_met",
                                  "respond_seconds", "on_site_seconds", "resolve_seconds"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.NEW, index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    language: Mapped[str] = mapped_column(String(8), default="zh_Hans")

    # The resident, as they gave themselves
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("customer_accounts.id"), index=True)

    # Where: resolved to the network when possible; the typed address is always kept
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    substation_id: Mapped[int | None] = mapped_column(ForeignKey("substations.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    address_text: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(16), default="")
    flat: Mapped[str] = mapped_column(String(16), default="")

    indoor_temp: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    description: Mapped[str] = mapped_column(Text, default="")

    # Who works it; no team means the agents' triage queue
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The promise (SLA clocks)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    respond_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_site_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_site_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Each clock's outcome, stored for good when it ends: True met, False missed, None not (yet) ended.
    respond_met: Mapped[bool | None] = mapped_column(Boolean)
    on_site_met: Mapped[bool | None] = mapped_column(Boolean)
    resolve_met: Mapped[bool | None] = mapped_column(Boolean)
    # Each step's time from intake in whole seconds (rounded down), stored the first time the step
    # happens, like the outcomes: the time reports sort these integers instead of subtracting
    # timestamps row by row. The resolve time is that of the first resolution.
    respond_seconds: Mapped[int | None] = mapped_column(Integer)
    on_site_seconds: Mapped[int | None] = mapped_column(Integer)
    resolve_seconds: Mapped[int | None] = mapped_column(Integer)
    # Where the ticket stands against its running clocks, kept by app.sla.service on every change so
    # that the board, the at-risk lists and the sweep find tickets by index instead of by arithmetic:
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the next clock's warning point
    sla_breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the next running clock's due time
    sla_next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # next escalation not yet sent
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a low score's call-back task
    status_before_wait: Mapped[Status | None] = mapped_column(enum_column(Status, name="status_before_wait"))

    # The outcome and the loop
    resolution_code: Mapped[str | None] = mapped_column(String(40))
    measured_temp: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # 入户测温, at resolution
    satisfaction_score: Mapped[int | None] = mapped_column(Integer)
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    closure: Mapped[Closure | None] = mapped_column(enum_column(Closure))

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category] = relationship()
    account: Mapped["CustomerAccount | None"] = relationship()  # noqa: F821
    district: Mapped["District | None"] = relationship()  # noqa: F821
    substation: Mapped["Substation | None"] = relationship()  # noqa: F821
    building: Mapped["Building | None"] = relationship()  # noqa: F821
    team: Mapped["Team | None"] = relationship()  # noqa: F821
    assignee: Mapped["User | None"] = relationship()  # noqa: F821
    sla_policy: Mapped["SlaPolicy | None"] = relationship()  # noqa: F821
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="save-update, merge"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_triage(self) -> bool:
        """No team could be found: the agents must place it."""
        return self.team_id is None and self.is_open


class TicketEvent(db.Model):
    """One entry of a ticket's audit trail. Append-only: never updated, never deleted."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        # Reports count reopened tickets: the few reopen events, found without reading the whole trail.
        Index("ix_ticket_events_reopened", "ticket_id", postgresql_where=text("to_status = 'reopened'"),
              sqlite_where=text("to_status = 'reopened'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status, name="event_from_status"))
    to_status: Mapped[Status | None] = mapped_column(enum_column(Status, name="event_to_status"))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()  # noqa: F821


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _events_are_append_only(mapper, connection, target: TicketEvent) -> None:
    raise RuntimeError("ticket events are append-only")
