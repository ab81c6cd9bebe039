"""Tickets received counted per company day, team, district and category, with each clock met and missed

Revision ID: 9a1b2c3d4e65
Revises: 8e4f1a2b3c54
Create Date: 2026-11-22 04:40:00

The SLA compliance report's rollup (app.analytics.received_days), filled from the tickets there are,
by company day (TIMEZONE): on PostgreSQL in one INSERT … SELECT (AT TIME ZONE knows every zone's
history); SQLite, which knows no zones, has the tickets read in batches and counted here.
"""
from collections import Counter
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '9a1b2c3d4e65'
down_revision = '8e4f1a2b3c54'
branch_labels = None
depends_on = None

KEYS = ('day', 'team_id', 'district_id', 'category_id')
CLOCKS = ('respond', 'on_site', 'resolve')
COUNTS = ('tickets', *(f'{clock}_{outcome}' for clock in CLOCKS for outcome in ('met', 'missed')))
BATCH = 50_000


def upgrade():
    days = op.create_table(
        'received_days',
        sa.Column('day', sa.Date(), nullable=False),
        *(sa.Column(key, sa.Integer(), nullable=False) for key in KEYS[1:]),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in COUNTS),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_received_days')),
    )
    backfill(op.get_bind(), days, ZoneInfo(current_app.config['TIMEZONE']))


def backfill_sql(zone_param: str) -> str:
    """PostgreSQL: every ticket counted into its day row; `zone_param` is the zone's placeholder in the
    caller's style (":zone" for SQLAlchemy, "%(zone)s" for psycopg)."""
    outcomes = ',\n       '.join(f'count(*) FILTER (WHERE {clock}_met), count(*) FILTER (WHERE NOT {clock}_met)'
                                  for clock in CLOCKS)
    return f"""
INSERT INTO received_days (day, team_id, district_id, category_id, {', '.join(COUNTS)})
SELECT (created_at AT TIME ZONE {zone_param})::date, coalesce(team_id, 0), coalesce(district_id, 0),
       coalesce(category_id, 0), count(*),
       {outcomes}
FROM tickets
GROUP BY 1, 2, 3, 4
"""


def backfill(connection, days: sa.Table, zone: ZoneInfo) -> int:
    """Count the tickets per day row and insert the rows; returns how many rows."""
    if connection.dialect.name == 'postgresql':
        return connection.execute(sa.text(backfill_sql(':zone')), {'zone': zone.key}).rowcount
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)),
                       *(sa.column(key, sa.Integer) for key in KEYS[1:]),
                       *(sa.column(f'{clock}_met', sa.Boolean) for clock in CLOCKS))
    totals: dict[tuple, Counter] = {}
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(tickets.c.id, tickets.c.created_at, *(tickets.c[key] for key in KEYS[1:]),
                      *(tickets.c[f'{clock}_met'] for clock in CLOCKS))
            .where(tickets.c.id > last_id).order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            break
        for _id, created_at, team, district, category, *outcomes in rows:
            if created_at.tzinfo is None:  # SQLite hands back naive UTC
                created_at = created_at.replace(tzinfo=ZoneInfo('UTC'))
            key = (created_at.astimezone(zone).date(), team or 0, district or 0, category or 0)
            counts = totals.setdefault(key, Counter())
            counts['tickets'] += 1
            for clock, outcome in zip(CLOCKS, outcomes):
                if outcome is not None:
                    counts[f'{clock}_{"met" if outcome else "missed"}'] += 1
        last_id = rows[-1][0]
    records = [{**dict(zip(KEYS, key)), **{count: counts[count] for count in COUNTS}} for key, counts in totals.items()]
    for start in range(0, len(records), BATCH):
        connection.execute(days.insert(), records[start:start + BATCH])
    return len(records)


def downgrade():
    op.drop_table('received_days')
