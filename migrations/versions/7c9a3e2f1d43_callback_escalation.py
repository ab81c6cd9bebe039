"""Call-back escalation: the sweep finds the overdue call-backs by an index

Revision ID: 7c9a3e2f1d43
Revises: 6b8f2d1e0c32
Create Date: 2026-11-22 01:30:00

A partial index on tickets.callback_due_at over the reopened tickets only (the call-backs owed).
The escalations themselves are rows of sla_escalations with the clock "callback" (its column has no
CHECK constraint, so nothing else changes).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c9a3e2f1d43'
down_revision = '6b8f2d1e0c32'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_tickets_callback_due'), 'tickets', ['callback_due_at'], unique=False,
                    postgresql_where=sa.text("status = 'reopened'"), sqlite_where=sa.text("status = 'reopened'"))


def downgrade():
    op.drop_index(op.f('ix_tickets_callback_due'), table_name='tickets')
