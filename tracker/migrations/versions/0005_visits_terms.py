"""liaison visits (走访记录), organisation terms (本届开始日期, 任期), the plan's visit window

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 14:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('liaison_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
    sa.ForeignKeyConstraint(['liaison_id'], ['liaison.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('liaison_id', 'firm_id', 'day', 'mode', name='uq_visit')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_firm_day', ['firm_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_liaison_id'), ['liaison_id'], unique=False)
    with op.batch_alter_table('party_org', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('term_years', sa.Integer(), nullable=True))
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_within_days', sa.Integer(), server_default='90',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('visit_within_days')
    with op.batch_alter_table('party_org', schema=None) as batch_op:
        batch_op.drop_column('term_years')
        batch_op.drop_column('term_start')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_liaison_id'))
        batch_op.drop_index('ix_visit_firm_day')
    op.drop_table('visit')
