"""Resolutions counted per company month, technician, team, district and category (the reports' rollup)

Revision ID: 9d4e5f6a7b98
Revises: 9b2c3d4e5f76
Create Date: 2026-11-22 05:15:00

The rows are the day rows (resolution_days) added up by company month: on PostgreSQL in one
INSERT … SELECT; on SQLite read and added up here.
"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d4e5f6a7b98'
down_revision = '9b2c3d4e5f76'
branch_labels = None
depends_on = None

KEYS = ('month', 'technician_id', 'team_id', 'district_id', 'category_id')
COUNTS = ('resolved', 'scored', 'satisfied', 'score_total', 'reopened')
BATCH = 50_000


def upgrade():
    months = op.create_table(
        'resolution_months',
        sa.Column('month', sa.Date(), nullable=False),
        *(sa.Column(key, sa.Integer(), nullable=False) for key in KEYS[1:]),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in COUNTS),
        sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_resolution_months')),
    )
    backfill(op.get_bind(), months)


def backfill_sql() -> str:
    """PostgreSQL: the day rows summed into their months (the day is already the company's)."""
    keys, counts = ", ".join(KEYS[1:]), ", ".join(f"sum({count})" for count in COUNTS)
    return f"""
INSERT INTO resolution_months ({", ".join(KEYS)}, {", ".join(COUNTS)})
SELECT date_trunc('month', day)::date, {keys}, {counts}
FROM resolution_days
GROUP BY 1, {", ".join(str(i + 2) for i in range(len(KEYS) - 1))}
"""


def backfill(connection, months: sa.Table) -> int:
    """Add the day rows up per month and insert the rows; returns how many rows."""
    if connection.dialect.name == 'postgresql':
        return connection.execute(sa.text(backfill_sql())).rowcount
    days = sa.table('resolution_days', sa.column('day', sa.Date), *(sa.column(key, sa.Integer) for key in KEYS[1:]),
                    *(sa.column(count, sa.Integer) for count in COUNTS))
    totals: dict[tuple, Counter] = {}
    for day, *row in connection.execute(sa.select(days.c.day, *(days.c[k] for k in KEYS[1:]),
                                                  *(days.c[c] for c in COUNTS))):
        key = (day.replace(day=1), *row[:len(KEYS) - 1])
        totals.setdefault(key, Counter()).update(dict(zip(COUNTS, row[len(KEYS) - 1:])))
    records = [{**dict(zip(KEYS, key)), **{count: counts[count] for count in COUNTS}} for key, counts in totals.items()]
    for start in range(0, len(records), BATCH):
        connection.execute(months.insert(), records[start:start + BATCH])
    return len(records)


def downgrade():
    op.drop_table('resolution_months')
