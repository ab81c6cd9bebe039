"""One row per resolution: the survey, its score, the reopen that followed

Revision ID: 5a7e1c0d9b21
Revises: 24bc702b9838
Create Date: 2026-11-22 01:30:00

The rows of the tickets resolved so far are rebuilt from their audit trail (`backfill_sql`), in one
INSERT … SELECT with window functions: the bench's 7.8 million events give 900,000 rows in about 40 s.
On PostgreSQL the reports' scans become index-only once the table is vacuumed (autovacuum soon does
it after the insert; `VACUUM (ANALYZE) resolutions` right after the upgrade does it at once).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a7e1c0d9b21'
down_revision = '24bc702b9838'
branch_labels = None
depends_on = None

REPORTED = ['technician_id', 'team_id', 'district_id', 'category_id', 'score', 'reopened_at']
FOREIGN_KEYS = [  # (column, referred table)
    ('ticket_id', 'tickets'), ('technician_id', 'users'), ('team_id', 'teams'), ('district_id', 'districts'),
    ('category_id', 'categories'),
]


def upgrade():
    # On PostgreSQL the foreign keys and the unique constraint are added after the backfill: one
    # check (a join) and one index build instead of 900,000 row-by-row checks and index inserts.
    # SQLite cannot add them to an existing table; its backfill is small.
    postgres = op.get_bind().dialect.name == 'postgresql'
    inline = [] if postgres else [
        *(sa.ForeignKeyConstraint([column], [f'{table}.id'], name=op.f(f'fk_resolutions_{column}_{table}'))
          for column, table in FOREIGN_KEYS),
        sa.UniqueConstraint('ticket_id', 'resolved_at', name=op.f('uq_resolutions_ticket_id')),
    ]
    op.create_table(
        'resolutions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('technician_id', sa.Integer(), nullable=True),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.SmallInteger(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('score IS NULL OR (score >= 1 AND score <= 5)', name=op.f('ck_resolutions_score_range')),
        sa.CheckConstraint('(score IS NULL) = (rated_at IS NULL)', name=op.f('ck_resolutions_rated_has_score')),
        sa.CheckConstraint('rated_at IS NULL OR rated_at >= resolved_at',
                           name=op.f('ck_resolutions_rated_after_resolution')),
        sa.CheckConstraint('reopened_at IS NULL OR reopened_at >= resolved_at',
                           name=op.f('ck_resolutions_reopened_after_resolution')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resolutions')),
        *inline,
    )
    if postgres:
        op.execute("SET LOCAL work_mem = '256MB'")  # the window sorts of the events stay in memory
    op.execute(backfill_sql(op.get_bind().dialect.name))
    if postgres:
        op.create_unique_constraint(op.f('uq_resolutions_ticket_id'), 'resolutions', ['ticket_id', 'resolved_at'])
        for column, table in FOREIGN_KEYS:
            op.create_foreign_key(op.f(f'fk_resolutions_{column}_{table}'), 'resolutions', table, [column], ['id'])
    op.create_index('ix_resolutions_resolved_at', 'resolutions', ['resolved_at'], unique=False,
                    postgresql_include=REPORTED)
    if postgres:
        op.execute('ANALYZE resolutions')


def downgrade():
    op.drop_index('ix_resolutions_resolved_at', table_name='resolutions')
    op.drop_table('resolutions')


def backfill_sql(dialect: str, where: str = '') -> str:
    """INSERT the resolutions recorded in ticket_events (`where`: an extra condition on the events).

    Each 'resolve' event is a resolution. Numbering a ticket's events by the resolves so far puts a
    resolution together with what followed it until the next resolve: its 'rate' (only a resolved
    ticket can be rated, so at most one: the score in data, the comment in the note) and its first
    move to 'reopened' (a low score or a reopen). The technician is the assignee in effect at the
    resolve: that of the last 'assign' before it (a 'transfer' clears it). The team, district and
    category are the ticket's as they are now (the trail does not keep every change of team); they
    differ from those at resolution only for a ticket moved after a reopen. Rows are inserted in
    resolved_at order, so the table's heap follows the reports' index. Also used by
    bench/generate_tickets.py after its COPY.
    """
    if dialect == 'postgresql':
        score = "CAST(data ->> 'score' AS INTEGER)"
        assignee = "CAST(data ->> 'assignee_id' AS INTEGER)"
    else:
        score = "CAST(json_extract(data, '$.score') AS INTEGER)"
        assignee = "CAST(json_extract(data, '$.assignee_id') AS INTEGER)"
    return f"""
INSERT INTO resolutions (ticket_id, resolved_at, technician_id, team_id, district_id, category_id,
                         score, comment, rated_at, reopened_at)
SELECT g.ticket_id, g.resolved_at, u.id, t.team_id, t.district_id, t.category_id,
       g.score, NULLIF(g.comment, ''), CASE WHEN g.score IS NOT NULL THEN g.rated_at END, g.reopened_at
FROM (
    SELECT ticket_id,
           MIN(CASE WHEN action = 'resolve' THEN created_at END) AS resolved_at,
           MAX(CASE WHEN action = 'resolve' THEN assignee_id END) AS technician_id,
           MIN(CASE WHEN action = 'rate' THEN created_at END) AS rated_at,
           MAX(CASE WHEN action = 'rate' THEN score END) AS score,
           MAX(CASE WHEN action = 'rate' THEN note END) AS comment,
           MIN(CASE WHEN to_status = 'reopened' THEN created_at END) AS reopened_at
    FROM (
        SELECT ticket_id, created_at, action, to_status, score, note, resolution,
               FIRST_VALUE(assignee_id) OVER (PARTITION BY ticket_id, assignment ORDER BY created_at, id
                                              ROWS UNBOUNDED PRECEDING) AS assignee_id
        FROM (
            SELECT ticket_id, id, created_at, action, to_status,
                   CASE WHEN action = 'rate' THEN {score} END AS score,
                   CASE WHEN action = 'rate' THEN note END AS note,
                   CASE WHEN action = 'assign' THEN {assignee} END AS assignee_id,
                   SUM(CASE WHEN action = 'resolve' THEN 1 ELSE 0 END)
                       OVER (PARTITION BY ticket_id ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS resolution,
                   SUM(CASE WHEN action IN ('assign', 'transfer') THEN 1 ELSE 0 END)
                       OVER (PARTITION BY ticket_id ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS assignment
            FROM ticket_events
            WHERE (action IN ('assign', 'transfer', 'resolve', 'rate') OR to_status = 'reopened') {where}
        ) AS numbered
    ) AS events
    WHERE resolution > 0
    GROUP BY ticket_id, resolution
) AS g
JOIN tickets AS t ON t.id = g.ticket_id
LEFT JOIN users AS u ON u.id = g.technician_id
ORDER BY g.resolved_at, g.ticket_id
"""
