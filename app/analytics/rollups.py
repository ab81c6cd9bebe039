"""Rollups: tables of counts kept in the same transaction as the rows they count, by every write.

A season-long report adds up a few thousand rollup rows instead of reading ~400,000 tickets. The
counts must never drift from the rows, whichever code path changes them, so they are kept here, once,
for every writer: the ORM flush (every lifecycle transition, intake, the demo seed, a test's setattr)
and the one writer that bypasses it, app.sla.service.save_marks' bulk UPDATE, which calls
`count_changes` with the objects and attributes it is about to write.

The interface, for each rollup (`register` it at import time, next to its table's model):

    Rollup(model, table, watched, contribution)

- `model`: the mapped class whose rows are counted (Ticket).
- `table`: the rollup table; its primary key columns are the key, every other column a count.
- `watched`: the column attributes of `model` that `contribution` reads. A change of any of them (or
  of a relationship that sets one, e.g. `ticket.category = …`) makes the row count again.
- `contribution(values) -> [(key, counts), …]`: pure. `values` maps each watched name to a value;
  the result is what one row adds to the table: zero, one or several table rows (a histogram adds
  one per step), each a dict of the key columns and a dict of counts (omitted counts are 0).

On each flush the difference contribution(after) - contribution(before) of every new, changed or
deleted row is summed per key and written in one INSERT … ON CONFLICT DO UPDATE (count = count + Δ)
per rollup, on the flush's own connection: a rolled-back transaction or savepoint takes its counts
with it. Before-values are the committed ones from the attribute history; one that was never loaded
is read from the database (one SELECT per flush) before the flush overwrites it. After-values are read
after the flush has synchronised foreign keys set through relationships.

A rollup row whose counts have all gone back to zero (a ticket moved to another team) is kept: readers
leave such rows out. Key rows are written in sorted order, so two transactions never take them in
opposite orders.

Writing Core UPDATE or INSERT statements on a counted table elsewhere bypasses this: call
`count_changes` first, or backfill (as the migrations and bench/generate_tickets.py do).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Collection, Iterable, Mapping, Sequence

from sqlalchemy import Table, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.attributes import set_committed_value

Contribution = Callable[[Mapping[str, Any]], Iterable[tuple[Mapping[str, Any], Mapping[str, int]]]]
_UNKNOWN = object()  # a committed value the session never loaded
_BEFORE = "rollups_before"  # Session.info key: the before-values of the flush under way


@dataclass(frozen=True)
class Rollup:
    """A table of counts per key, kept from the rows of `model` (see the module docstring)."""

    model: type
    table: Table
    watched: tuple[str, ...]
    contribution: Contribution
    keys: tuple[str, ...] = field(init=False)
    counts: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        keys = tuple(column.name for column in self.table.primary_key.columns)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "counts", tuple(c.name for c in self.table.columns if c.name not in keys))

    @cached_property
    def changed_by(self) -> tuple[str, ...]:
        """The watched columns and the relationships that set them (read once the mappers are configured)."""
        mapper = inspect(self.model)
        relationships = tuple(rel.key for rel in mapper.relationships
                              if any(mapper.get_property_by_column(c).key in self.watched for c in rel.local_columns
                                     if c.table is mapper.local_table))
        return (*self.watched, *relationships)


_registered: list[Rollup] = []


def register(rollup: Rollup) -> Rollup:
    """Keep `rollup` from now on (call once, at import time of its model's module)."""
    _registered.append(rollup)
    return rollup


def registered() -> Sequence[Rollup]:
    return tuple(_registered)


# --- values before and after --------------------------------------------------------------------

def _changed(rollup: Rollup, state: InstanceState) -> bool:
    return any(state.attrs[key].history.has_changes() for key in rollup.changed_by)


def _committed(rollup: Rollup, state: InstanceState) -> dict[str, Any]:
    """The watched values as the database holds them (_UNKNOWN where the session never loaded one)."""
    values = {}
    for key in rollup.watched:
        history = state.attrs[key].history
        if history.deleted:
            values[key] = history.deleted[0]
        elif history.unchanged:
            values[key] = history.unchanged[0]
        else:
            values[key] = _UNKNOWN
    return values


def _fill_unknown(session: Session, rollup: Rollup, befores: list[tuple[InstanceState, dict]]) -> None:
    """Read the committed values the session never loaded, for all these rows in one SELECT."""
    missing = {state.identity[0]: values for state, values in befores
               if state.identity is not None and _UNKNOWN in values.values()}
    if not missing:
        return
    mapper = inspect(rollup.model)
    [primary_key] = mapper.primary_key
    columns = [mapper.get_property(key).columns[0] for key in rollup.watched]
    rows = session.connection().execute(select(primary_key, *columns).where(primary_key.in_(list(missing))))
    for row_id, *stored in rows:
        values = missing[row_id]
        for key, value in zip(rollup.watched, stored):
            if values[key] is _UNKNOWN:
                values[key] = value


def _current(rollup: Rollup, state: InstanceState, before: dict[str, Any] | None) -> dict[str, Any]:
    """The watched values now; an attribute not changed (perhaps not loaded) keeps its committed value."""
    values = {}
    for key in rollup.watched:
        history = state.attrs[key].history
        if history.added:
            values[key] = history.added[0]
        elif history.unchanged:
            values[key] = history.unchanged[0]
        elif before is not None and not history.deleted:
            values[key] = before[key]
        else:  # never set on a new row: NULL (no query)
            values[key] = getattr(state.obj(), key)
    return values


# --- writing the differences --------------------------------------------------------------------

def _add(deltas: dict[tuple, list[int]], rollup: Rollup, values: Mapping[str, Any] | None, sign: int) -> None:
    if values is None:
        return
    for key, counts in rollup.contribution(values):
        row = deltas.setdefault(tuple(key[name] for name in rollup.keys), [0] * len(rollup.counts))
        for i, name in enumerate(rollup.counts):
            row[i] += sign * counts.get(name, 0)


def _write(session: Session, rollup: Rollup, deltas: dict[tuple, list[int]]) -> None:
    """Add the non-zero differences to the table, one upsert statement for all its rows."""
    rows = [{**dict(zip(rollup.keys, key)), **dict(zip(rollup.counts, counts))}
            for key, counts in sorted(deltas.items()) if any(counts)]
    if not rows:
        return
    connection = session.connection()
    insert_ = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert_(rollup.table)
    connection.execute(statement.on_conflict_do_update(
        index_elements=list(rollup.keys),
        set_={name: rollup.table.c[name] + statement.excluded[name] for name in rollup.counts}), rows)


def _states(session: Session, objects: Iterable[Any], rollup: Rollup) -> list[InstanceState]:
    return [inspect(obj) for obj in objects if isinstance(obj, rollup.model)]


def count_changes(session: Session, objects: Iterable[Any], written: Collection[str]) -> None:
    """Count the changes of these objects' `written` attributes now: a bulk statement the flush will not
    see is about to write them (call before their committed values are reset). Changes of other
    attributes are left to the flush that writes them."""
    objects = list(objects)
    for rollup in _registered:
        if not set(written) & set(rollup.watched):
            continue
        befores = [(state, _committed(rollup, state)) for state in _states(session, objects, rollup)
                   if any(state.attrs[key].history.has_changes() for key in written if key in rollup.watched)]
        _fill_unknown(session, rollup, befores)
        deltas: dict[tuple, list[int]] = {}
        for state, before in befores:
            now = _current(rollup, state, before)
            _add(deltas, rollup, before, -1)
            _add(deltas, rollup, {key: now[key] if key in written else before[key] for key in rollup.watched}, +1)
        _write(session, rollup, deltas)


@event.listens_for(Session, "before_flush")
def _remember_before(session: Session, _context, _instances) -> None:
    """The committed values of every changed or deleted counted row, before the flush overwrites them."""
    remembered: dict[int, list[tuple[InstanceState, dict | None]]] = {}
    for index, rollup in enumerate(_registered):
        deleted = _states(session, session.deleted, rollup)
        changed = [state for state in _states(session, session.dirty, rollup)
                   if state not in deleted and _changed(rollup, state)]
        befores = [(state, _committed(rollup, state)) for state in (*changed, *deleted)]
        _fill_unknown(session, rollup, befores)
        new = [(state, None) for state in _states(session, session.new, rollup)]
        if befores or new:
            remembered[index] = [*befores, *new]
    session.info[_BEFORE] = remembered


@event.listens_for(Session, "after_flush")
def _write_differences(session: Session, _context) -> None:
    remembered = session.info.pop(_BEFORE, {})
    for index, entries in remembered.items():
        rollup = _registered[index]
        deltas: dict[tuple, list[int]] = {}
        for state, before in entries:
            _add(deltas, rollup, before, -1)
            if state.obj() not in session.deleted:
                _add(deltas, rollup, _current(rollup, state, before), +1)
            if before is None:
                _known_null(rollup, state)
        _write(session, rollup, deltas)


def _known_null(rollup: Rollup, state: InstanceState) -> None:
    """A watched attribute a new row was inserted without is NULL (one with a server default would be
    expired, to be read): say so, or the next change of it would have to read it back (a SELECT)."""
    for key in rollup.watched:
        if key not in state.dict and key not in state.expired_attributes:
            set_committed_value(state.obj(), key, None)
