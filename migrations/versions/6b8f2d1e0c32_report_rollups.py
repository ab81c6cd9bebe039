"""Season-long reports: step times in seconds, a covering index of received tickets, accounts per substation

Revision ID: 6b8f2d1e0c32
Revises: 5a7e1c0d9b21
Create Date: 2026-11-22 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b8f2d1e0c32'
down_revision = '5a7e1c0d9b21'
branch_labels = None
depends_on = None

REPORT_INCLUDE = ['team_id', 'district_id', 'category_id', 'substation_id', 'respond_met', 'on_site_met',
                  'resolve_met', 'respond_seconds', 'on_site_seconds', 'resolve_seconds']

# Each step's whole seconds from intake, rounded down and never negative, as
# app.sla.service.record_step_time stores them. The resolve time is the first resolution's.
STEP_ENDS = {'respond_seconds': 'responded_at', 'on_site_seconds': 'on_site_at', 'resolve_seconds': 'resolved_at'}


def _postgresql_seconds(end: str, created: str = 'created_at') -> str:
    """NULL while the step has not happened (least() skips NULLs; greatest(0, NULL) would be 0)."""
    return f"floor(extract(epoch FROM {end} - least({end}, {created})))::integer"


def _sqlite_seconds(end: str) -> str:
    """The same on SQLite, which stores 'YYYY-MM-DD HH:MM:SS.ffffff': the difference of the whole
    seconds, less one when the end's microseconds are the smaller."""
    return (f"max(0, CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER)"
            f" - (substr({end}, 21) < substr(created_at, 21)))")


def _first_resolutions(seconds: str) -> str:
    """resolved_at is the latest resolution; it differs from the first only on a ticket reopened
    since (by a low score or a reopen), which the partial index on reopen events finds."""
    return f"""
UPDATE tickets SET resolve_seconds = {seconds}
FROM (SELECT e.ticket_id, min(e.created_at) AS resolved FROM ticket_events AS e
      WHERE e.action = 'resolve'
        AND e.ticket_id IN (SELECT ticket_id FROM ticket_events WHERE to_status = 'reopened')
      GROUP BY e.ticket_id) AS first_resolution
WHERE first_resolution.ticket_id = tickets.id
"""


def _seconds(dialect: str, end: str) -> str:
    return _postgresql_seconds(end, 'tickets.created_at') if dialect == 'postgresql' else _sqlite_seconds(end)


def backfill_statements(dialect: str) -> list[str]:
    """UPDATEs that fill the step times of the tickets there are. SQLite's upgrade runs them; the
    PostgreSQL upgrade fills the columns by a table rewrite with the same expressions and then runs
    the last one (tests run all of them on either database)."""
    return ["UPDATE tickets SET " + ", ".join(f"{column} = {_seconds(dialect, f'tickets.{end}')}"
                                             for column, end in STEP_ENDS.items()),
            _first_resolutions(_seconds(dialect, 'first_resolution.resolved'))]


def _add_step_columns_postgresql() -> None:
    """Filled by rewriting the table once (as stored generated columns, then made plain): an UPDATE
    of every row writes every index entry again (5 min at a million tickets instead of 1–2)."""
    op.execute("ALTER TABLE tickets " + ", ".join(
        f"ADD COLUMN {column} integer GENERATED ALWAYS AS ({_postgresql_seconds(end)}) STORED"
        for column, end in STEP_ENDS.items()))
    op.execute("ALTER TABLE tickets " + ", ".join(
        f"ALTER COLUMN {column} DROP EXPRESSION" for column in STEP_ENDS))
    op.execute(backfill_statements('postgresql')[-1])


def _add_step_columns_sqlite() -> None:
    for column in STEP_ENDS:
        op.add_column('tickets', sa.Column(column, sa.Integer(), nullable=True))
    for statement in backfill_statements('sqlite'):
        op.execute(statement)


COUNT_ACCOUNTS = """
INSERT INTO substation_account_counts (substation_id, accounts)
SELECT buildings.substation_id, count(customer_accounts.id)
FROM buildings JOIN customer_accounts ON customer_accounts.building_id = buildings.id
GROUP BY buildings.substation_id
"""


def upgrade():
    op.create_table('substation_account_counts',
    sa.Column('substation_id', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['substation_id'], ['substations.id'],
                            name=op.f('fk_substation_account_counts_substation_id_substations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('substation_id', name=op.f('pk_substation_account_counts'))
    )
    op.execute(COUNT_ACCOUNTS)

    if op.get_bind().dialect.name == 'postgresql':
        _add_step_columns_postgresql()
    else:
        _add_step_columns_sqlite()
    # INCLUDE is PostgreSQL's (the argument is ignored elsewhere): an index-only scan serves the reports.
    op.create_index('ix_tickets_reports_created', 'tickets', ['created_at'], unique=False,
                    postgresql_include=REPORT_INCLUDE)


def downgrade():
    op.drop_index('ix_tickets_reports_created', table_name='tickets')
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy of tickets would have to drop the
    # table, which the rows referring to it forbid.
    for column in reversed(STEP_ENDS):
        op.drop_column('tickets', column)
    op.drop_table('substation_account_counts')
