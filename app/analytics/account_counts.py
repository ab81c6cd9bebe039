"""Customer accounts per substation, kept in a table for the complaints-per-1,000 report.

Counting every account through its building on each request cost ~40 ms at 318,000 accounts, for
numbers that change only when accounts or buildings are added, moved or removed (the admin forms,
the CSV import, the demo seed). So a transaction that changes any of them counts again once, just
before it commits and inside it: every process sees the new counts exactly when it sees the
accounts, and a rollback leaves both as they were. Recounting whole (≈ 0.1 s) rather than adding
differences leaves no path that could forget one.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, delete, event, func, inspect, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.customers.models import Building, CustomerAccount
from app.extensions import db

_STALE = "substation_account_counts_stale"  # Session.info key: this transaction moved accounts
# What an account count depends on: the relationship or foreign key that places the row.
_PLACED_BY = {CustomerAccount: ("building", "building_id"), Building: ("substation", "substation_id")}


class SubstationAccounts(db.Model):
    """How many customer accounts the buildings behind a substation hold (no row: none)."""

    __tablename__ = "substation_account_counts"

    substation_id: Mapped[int] = mapped_column(ForeignKey("substations.id", ondelete="CASCADE"), primary_key=True)
    accounts: Mapped[int] = mapped_column(Integer)


def recount(session: Session | None = None) -> None:
    """Count the accounts behind every substation again, in the current transaction.

    On PostgreSQL the table is locked first, so two transactions recounting at once take turns and
    the later one counts the earlier one's accounts (each statement reads what is committed)."""
    session = session or db.session
    table = SubstationAccounts.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE"))
    session.execute(delete(table))
    counts = (select(Building.substation_id, func.count(CustomerAccount.id))
              .join(CustomerAccount, CustomerAccount.building_id == Building.id)
              .group_by(Building.substation_id))
    session.execute(insert(table).from_select(["substation_id", "accounts"], counts))


def _moves_accounts(session: Session) -> bool:
    """Did this flush add, remove or move an account or a building?"""
    if any(type(obj) in _PLACED_BY for obj in (*session.new, *session.deleted)):
        return True
    for obj in session.dirty:
        keys = _PLACED_BY.get(type(obj))
        if keys and any(inspect(obj).attrs[key].history.has_changes() for key in keys):
            return True
    return False


@event.listens_for(Session, "after_flush")
def _note_moved_accounts(session: Session, _context) -> None:
    if not session.info.get(_STALE) and _moves_accounts(session):
        session.info[_STALE] = True


@event.listens_for(Session, "before_commit")
def _recount_before_commit(session: Session) -> None:
    """The outermost commit of a transaction that moved accounts counts them again (a savepoint's
    release leaves it to the commit, which may still be rolled back)."""
    if session.in_nested_transaction():
        return
    session.flush()
    if session.info.pop(_STALE, False):
        recount(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended, committed or rolled back
        session.info.pop(_STALE, None)
