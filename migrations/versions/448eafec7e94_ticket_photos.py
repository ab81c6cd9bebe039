"""ticket photos: pictures a technician takes on site, stored outside the static folder

Revision ID: 448eafec7e94
Revises: 1c703aaf1784
Create Date: 2026-11-21 20:57:54.108277

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '448eafec7e94'
down_revision = '1c703aaf1784'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ticket_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                           name=op.f('ck_ticket_photos_image_type')),
        sa.CheckConstraint('width > 0 AND height > 0 AND byte_size > 0',
                           name=op.f('ck_ticket_photos_positive_sizes')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_photos_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_ticket_photos_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_photos')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_ticket_photos_stored_name')),
    )
    with op.batch_alter_table('ticket_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_photos_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_photos_ticket_id'))
    op.drop_table('ticket_photos')
