"""Team board: an index over the open tickets in the board's order, per technician

Revision ID: 9c3d4e5f6a87
Revises: 9d4e5f6a7b98
Create Date: 2026-11-22 05:00:00

The board lists each technician's few most urgent open tickets (app.reports.board.rows_by_index). With
this index it walks each group from its most urgent ticket and stops after a few, instead of ranking
all of a team's open tickets (30,000 in a city-wide outage). Partial: the open tickets only (the
statuses are spelled as in app.tickets.models.OPEN_STATUSES_SQL, which the query repeats).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c3d4e5f6a87'
down_revision = '9d4e5f6a7b98'
branch_labels = None
depends_on = None

OPEN = ("status IN ('new', 'assigned', 'acknowledged', 'en_route', 'on_site', 'waiting', 'reopened', "
        "'transferred')")


def upgrade():
    op.create_index(op.f('ix_tickets_board_order'), 'tickets',
                    [sa.text('coalesce(assignee_id, 0)'), 'sla_breach_at', 'created_at', 'id', 'sla_warn_at',
                     'sla_paused_at'],
                    unique=False, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    op.drop_index(op.f('ix_tickets_board_order'), table_name='tickets')
