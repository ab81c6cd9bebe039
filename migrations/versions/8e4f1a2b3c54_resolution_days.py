"""Resolutions counted per company day, technician, team, district and category (the reports' rollup)

Revision ID: 8e4f1a2b3c54
Revises: 7c9a3e2f1d43
Create Date: 2026-11-22 03:05:00

The rows are filled from the resolutions there are, by company day (TIMEZONE): on PostgreSQL in one
INSERT … SELECT (AT TIME ZONE knows every zone's history); SQLite, which knows no zones, has the
resolutions read in batches and counted here.
"""
from collections import Counter
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '8e4f1a2b3c54'
down_revision = '7c9a3e2f1d43'
branch_labels = None
depends_on = None

KEYS = ('day', 'technician_id', 'team_id', 'district_id', 'category_id')
COUNTS = ('resolved', 'scored', 'satisfied', 'score_total', 'reopened')
SATISFIED_FROM = 4
BATCH = 50_000


def upgrade():
    days = op.create_table(
        'resolution_days',
        sa.Column('day', sa.Date(), nullable=False),
        *(sa.Column(key, sa.Integer(), nullable=False) for key in KEYS[1:]),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in COUNTS),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_resolution_days')),
    )
    backfill(op.get_bind(), days, ZoneInfo(current_app.config['TIMEZONE']))


def backfill_sql(zone_param: str) -> str:
    """PostgreSQL: every resolution counted into its day row; `zone_param` is the zone's placeholder
    in the caller's style (":zone" for SQLAlchemy, "%(zone)s" for psycopg)."""
    return f"""
INSERT INTO resolution_days (day, technician_id, team_id, district_id, category_id,
                             resolved, scored, satisfied, score_total, reopened)
SELECT (resolved_at AT TIME ZONE {zone_param})::date, coalesce(technician_id, 0), coalesce(team_id, 0),
       coalesce(district_id, 0), coalesce(category_id, 0),
       count(*), count(score), count(*) FILTER (WHERE score >= {SATISFIED_FROM}), coalesce(sum(score), 0),
       count(reopened_at)
FROM resolutions
GROUP BY 1, 2, 3, 4, 5
"""


def backfill(connection, days: sa.Table, zone: ZoneInfo) -> int:
    """Count the resolutions per day row and insert the rows; returns how many rows."""
    if connection.dialect.name == 'postgresql':
        return connection.execute(sa.text(backfill_sql(':zone')), {'zone': zone.key}).rowcount
    resolutions = sa.table('resolutions', sa.column('id', sa.Integer), sa.column('resolved_at', sa.DateTime(timezone=True)),
                           *(sa.column(key, sa.Integer) for key in KEYS[1:]), sa.column('score', sa.Integer),
                           sa.column('reopened_at', sa.DateTime(timezone=True)))
    totals: dict[tuple, Counter] = {}
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(resolutions.c.id, resolutions.c.resolved_at, *(resolutions.c[key] for key in KEYS[1:]),
                      resolutions.c.score, resolutions.c.reopened_at)
            .where(resolutions.c.id > last_id).order_by(resolutions.c.id).limit(BATCH)).all()
        if not rows:
            break
        for _id, resolved_at, technician, team, district, category, score, reopened_at in rows:
            if resolved_at.tzinfo is None:  # SQLite hands back naive UTC
                resolved_at = resolved_at.replace(tzinfo=ZoneInfo('UTC'))
            key = (resolved_at.astimezone(zone).date(), technician or 0, team or 0, district or 0, category or 0)
            counts = totals.setdefault(key, Counter())
            counts.update(resolved=1, scored=int(score is not None),
                          satisfied=int(score is not None and score >= SATISFIED_FROM), score_total=score or 0,
                          reopened=int(reopened_at is not None))
        last_id = rows[-1][0]
    records = [{**dict(zip(KEYS, key)), **{count: counts[count] for count in COUNTS}} for key, counts in totals.items()]
    for start in range(0, len(records), BATCH):
        connection.execute(days.insert(), records[start:start + BATCH])
    return len(records)


def downgrade():
    op.drop_table('resolution_days')
