"""Step times counted per company month, team, district, category and step, in histogram buckets

Revision ID: 9b2c3d4e5f76
Revises: 9a1b2c3d4e65
Create Date: 2026-11-22 04:30:00

The rows are filled from the tickets' stored step times, each in its bucket of
app.analytics.histogram (a change of the buckets needs a migration that refills this table), under
its team and district and in the city's rows: on PostgreSQL in one INSERT … SELECT (width_bucket over the bounds, the month by AT TIME
ZONE); SQLite, which knows no zones, has the tickets read in batches and counted here.
"""
from collections import Counter
from datetime import timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from flask import current_app

from app.analytics.histogram import bucket_of, bucket_sql_text


# revision identifiers, used by Alembic.
revision = '9b2c3d4e5f76'
down_revision = '9a1b2c3d4e65'
branch_labels = None
depends_on = None

KEYS = ('month', 'team_id', 'district_id', 'category_id', 'step', 'bucket')
STEPS = ('respond', 'on_site', 'resolve')
BATCH = 50_000
ALL = -1  # the team and district of the city's rows (app.analytics.step_times.ALL)


def upgrade():
    months = op.create_table(
        'step_time_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=8), nullable=False),
        sa.Column('bucket', sa.SmallInteger(), nullable=False),
        sa.Column('tickets', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_step_time_months')),
    )
    backfill(op.get_bind(), months, ZoneInfo(current_app.config['TIMEZONE']))


def backfill_sql(zone_param: str) -> str:
    """PostgreSQL: every stored step time counted into its team's and district's row and into the
    city's (ALL); `zone_param` is the zone's placeholder in the caller's style (":zone" for
    SQLAlchemy, "%(zone)s" for psycopg)."""
    steps = ", ".join(f"'{step}'" for step in STEPS)
    seconds = ", ".join(f"{step}_seconds" for step in STEPS)
    return f"""
INSERT INTO step_time_months (month, team_id, district_id, category_id, step, bucket, tickets)
SELECT month, CASE WHEN grouping(team_id) = 1 THEN {ALL} ELSE team_id END,
       CASE WHEN grouping(district_id) = 1 THEN {ALL} ELSE district_id END, category_id, step, bucket, count(*)
FROM (SELECT date_trunc('month', created_at AT TIME ZONE {zone_param})::date AS month, coalesce(team_id, 0) AS team_id,
             coalesce(district_id, 0) AS district_id, category_id, step, {bucket_sql_text('seconds')} AS bucket
      FROM (SELECT created_at, team_id, district_id, category_id,
                   unnest(ARRAY[{steps}]) AS step, unnest(ARRAY[{seconds}]) AS seconds
            FROM tickets) AS step_times
      WHERE seconds IS NOT NULL) AS counted
GROUP BY GROUPING SETS ((month, team_id, district_id, category_id, step, bucket), (month, category_id, step, bucket))
"""


def backfill(connection, months: sa.Table, zone: ZoneInfo) -> int:
    """Count the tickets' step times per row and insert the rows; returns how many rows."""
    if connection.dialect.name == 'postgresql':
        return connection.execute(sa.text(backfill_sql(':zone')), {'zone': zone.key}).rowcount
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)),
                       sa.column('team_id', sa.Integer), sa.column('district_id', sa.Integer),
                       sa.column('category_id', sa.Integer), *(sa.column(f'{step}_seconds', sa.Integer) for step in STEPS))
    totals: Counter = Counter()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(tickets).where(tickets.c.id > last_id).order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            break
        for _id, created_at, team, district, category, *seconds in rows:
            if created_at.tzinfo is None:  # SQLite hands back naive UTC
                created_at = created_at.replace(tzinfo=timezone.utc)
            month = created_at.astimezone(zone).date().replace(day=1)
            for step, value in zip(STEPS, seconds):
                if value is not None:
                    totals[(month, team or 0, district or 0, category, step, bucket_of(value))] += 1
                    totals[(month, ALL, ALL, category, step, bucket_of(value))] += 1
        last_id = rows[-1][0]
    records = [{**dict(zip(KEYS, key)), 'tickets': n} for key, n in totals.items()]
    for start in range(0, len(records), BATCH):
        connection.execute(months.insert(), records[start:start + BATCH])
    return len(records)


def downgrade():
    op.drop_table('step_time_months')
