"""The ticket queue: the agents' and supervisors' list of tickets, filtered, searched and paged.

Paging is keyset ("seek") pagination: a page is the next LIMIT rows after the last row's sort key,
(created_at, id) newest first or (next due time, id) soonest first, never an OFFSET and never a
COUNT(*) over the table. With an index on tickets(created_at, id) the database reads only the rows
it shows (plus one, to know whether there is a next page), whether the table holds a thousand
tickets or a million and whichever page the agent is on; an OFFSET would read and throw away
every earlier row, and a total count would read them all on every page view. A new ticket
arriving while the agent pages does not shift the rows of the next page either.

Search takes whatever the agent has: a reference (any spacing), a phone number (any format) or an
account number find their tickets by exact key; anything else is a substring of the resident's
name or the address (Chinese included). A reference is unique, so a search by reference finds the
ticket whatever the other filters say.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.errors import ValidationFailed
from app.core.text import clean_text, has_control_characters
from app.core.time import utcnow
from app.core.types import UTCDateTime
from app.customers import lookup as customers
from app.customers.models import District
from app.extensions import db
from app.messaging.numbers import normalise_phone
from app.routing.models import Team
from app.tickets.models import OPEN_STATUSES, Category, Priority, Status, Ticket
from app.tickets.references import parse_reference
from app.tickets.visibility import visible_to

PAGE_SIZE = 50
DUE_SOON = timedelta(hours=1)
MAX_SEARCH = 100
STATUS_GROUPS = ("open", "triage", "all")
SLA_FILTERS = ("due_soon", "breached")
SORTS = ("newest", "due")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NEVER = datetime(9999, 12, 31, tzinfo=timezone.utc)  # sorts tickets with no promised time last

# The SLA filters and the "soonest due" order read the ticket's stored breach mark
# (app.sla.service.refresh_marks): the due time of its next running clock, empty while it waits for
# the resident or once it is finished. Indexed (ix_tickets_sla_breach), so "overdue" is an index scan
# instead of a CASE over the three clocks on every open ticket.
NEXT_DUE = Ticket.sla_breach_at
_DUE_KEY = func.coalesce(NEXT_DUE, literal(_NEVER, UTCDateTime()), type_=UTCDateTime())


@dataclass(frozen=True)
class QueueFilters:
    """The queue the user asked for. Empty values mean "any"."""

    status: str = "open"  # "open", "triage", "all" or a Status value
    district_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None
    priority: Priority | None = None
    sla: str = ""  # "", "due_soon" or "breached"
    search: str = ""
    sort: str = "newest"
    after: tuple[datetime, int] | None = None  # the sort key of the last row of the previous page
    before: tuple[datetime, int] | None = None  # the sort key of the first row of the next page


@dataclass
class QueuePage:
    """One page of the queue, with the cursors to the pages on either side."""

    tickets: list[Ticket] = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None


def encode_cursor(key: tuple[datetime, int]) -> str:
    """A sort key as a short URL-safe text: microseconds since 1970, a dot, the ticket id."""
    moment, ticket_id = key
    return f"{(moment - _EPOCH) // timedelta(microseconds=1)}.{ticket_id}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    """The sort key in a cursor, or None if it is not one."""
    parts = (text or "").split(".")
    if len(parts) != 2 or not all(p.isdigit() and 0 < len(p) <= 18 for p in parts):
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(parts[0])), int(parts[1])
    except OverflowError:
        return None


def parse_filters(args: Mapping[str, str]) -> QueueFilters:
    """The filters in a query string; raises ValidationFailed naming each field that is wrong."""
    errors: dict[str, object] = {}
    choose = _l("Please choose from the list.")

    status = args.get("status") or "open"
    if status not in STATUS_GROUPS and status not in Status._value2member_map_:
        errors["status"] = choose

    def pick_id(name: str, model) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit() and len(raw) < 10 and db.session.get(model, int(raw)) is not None:
            return int(raw)
        errors[name] = choose
        return None

    district_id = pick_id("district", District)
    team_id = pick_id("team", Team)

    category_id = None
    if args.get("category"):
        category_id = db.session.scalar(select(Category.id).where(Category.code == args["category"]))
        if category_id is None:
            errors["category"] = choose
    priority = None
    if args.get("priority"):
        priority = Priority._value2member_map_.get(args["priority"])
        if priority is None:
            errors["priority"] = choose
    sla = args.get("sla") or ""
    if sla and sla not in SLA_FILTERS:
        errors["sla"] = choose
    sort = args.get("sort") or "newest"
    if sort not in SORTS:
        errors["sort"] = choose

    raw_search = args.get("q") or ""
    if has_control_characters(raw_search):
        errors["q"] = _l("This field contains characters that are not allowed.")
    elif len(raw_search) > MAX_SEARCH:
        errors["q"] = _l("Please keep this under %(n)d characters.", n=MAX_SEARCH)

    cursors = {}
    for name in ("after", "before"):
        if args.get(name):
            cursors[name] = decode_cursor(args[name])
            if cursors[name] is None:
                errors["page"] = _l("This page link is broken. Start again from the first page.")
    if errors:
        raise ValidationFailed(errors)
    return QueueFilters(
        status=status, district_id=district_id, team_id=team_id, category_id=category_id, priority=priority,
        sla=sla, search=clean_text(raw_search), sort=sort, after=cursors.get("after"), before=cursors.get("before"),
    )


def queue_page(user: User, filters: QueueFilters, now: datetime | None = None,
               page_size: int = PAGE_SIZE) -> QueuePage:
    """The page of tickets `user` may see that match `filters`, in the asked order."""
    now = now or utcnow()
    if filters.sort == "due":  # with an SLA filter every row has a mark: the bare column keeps the index
        key_column = NEXT_DUE if filters.sla else _DUE_KEY
    else:
        key_column = Ticket.created_at
    # Newest first runs (created_at, id) downwards; soonest due runs (due, id) upwards.
    descending = filters.sort != "due"
    backwards = filters.before is not None and filters.after is None
    query = _filtered(select(Ticket, key_column.label("sort_key")), user, filters, now)

    cursor = filters.before if backwards else filters.after
    if cursor is not None:
        moment, ticket_id = cursor
        later = descending == backwards  # seek towards larger keys?
        if later:
            query = query.where(or_(key_column > moment, and_(key_column == moment, Ticket.id > ticket_id)))
        else:
            query = query.where(or_(key_column < moment, and_(key_column == moment, Ticket.id < ticket_id)))
    upwards = descending == backwards
    order = (key_column.asc(), Ticket.id.asc()) if upwards else (key_column.desc(), Ticket.id.desc())
    query = query.order_by(*order).limit(page_size + 1).options(
        selectinload(Ticket.category), selectinload(Ticket.district), selectinload(Ticket.team),
        selectinload(Ticket.assignee),
    )
    rows = db.session.execute(query).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    page = QueuePage(tickets=[row[0] for row in rows])
    if rows:
        first, last = (row[0].id for row in (rows[0], rows[-1]))
        first_key, last_key = rows[0][1], rows[-1][1]
        has_next = (more and not backwards) or backwards
        has_previous = (more and backwards) or (not backwards and filters.after is not None)
        page.next_cursor = encode_cursor((last_key, last)) if has_next else None
        page.previous_cursor = encode_cursor((first_key, first)) if has_previous else None
    return page


def _filtered(query: Select, user: User, filters: QueueFilters, now: datetime) -> Select:
    query = query.where(visible_to(user))
    reference = parse_reference(filters.search)
    if reference is not None:
        return query.where(Ticket.reference == reference)
    if filters.search:
        query = query.where(_search(filters.search))
    if filters.status == "open":
        if not filters.sla:  # with an SLA filter the breach mark says "open" (below)
            query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif filters.status == "triage":
        query = query.where(Ticket.status.in_(OPEN_STATUSES), Ticket.team_id.is_(None))
    elif filters.status != "all":
        query = query.where(Ticket.status == Status(filters.status))
    if filters.district_id is not None:
        query = query.where(Ticket.district_id == filters.district_id)
    if filters.team_id is not None:
        query = query.where(Ticket.team_id == filters.team_id)
    if filters.category_id is not None:
        query = query.where(Ticket.category_id == filters.category_id)
    if filters.priority is not None:
        query = query.where(Ticket.priority == filters.priority)
    if filters.sla:
        # Only open tickets whose clocks run carry a breach mark (it is emptied while the ticket waits
        # for the resident and when it is finished), so the mark alone selects them. A status condition
        # as well would make the planner multiply two selectivities of the same rows, expect a few
        # hundred and sort every overdue ticket instead of reading the mark's index in order.
        if filters.sla == "breached":
            query = query.where(NEXT_DUE < now)
        else:
            query = query.where(NEXT_DUE >= now, NEXT_DUE <= now + DUE_SOON)
    return query


def _search(text: str):
    """Tickets by phone or account number when the text is one, else by name or address text."""
    phone = normalise_phone(text)
    if phone is not None:
        return Ticket.phone == phone
    account_number = customers.account_by_number(text)
    if account_number is not None:
        return Ticket.account_id == account_number.id
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(Ticket.name.ilike(pattern, escape="\\"), Ticket.address_text.ilike(pattern, escape="\\"))


def sla_badge(ticket: Ticket, now: datetime) -> tuple[str | None, datetime | None]:
    """("breached" | "due_soon" | None, the next due time) for a row, by the same rules as the filters.

    The state comes from the breach mark; the time shown is the first unmet clock's due time, so a
    ticket waiting for the resident still shows when it was due (without a badge)."""
    clocks = ((ticket.respond_due_at, ticket.responded_at), (ticket.on_site_due_at, ticket.on_site_at),
              (ticket.resolve_due_at, ticket.resolved_at))
    due = next((d for d, met in clocks if d is not None and met is None), None)
    mark = ticket.sla_breach_at
    if mark is None or not ticket.is_open or ticket.sla_paused_at is not None:
        return None, due
    if mark < now:
        return "breached", mark
    if mark <= now + DUE_SOON:
        return "due_soon", mark
    return None, mark
