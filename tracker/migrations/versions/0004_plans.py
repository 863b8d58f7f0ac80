"""plans as first-class records: optional targets, days to cover a new firm, source, 示例 flag

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 13:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_target_rate', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('single_unit_target', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('cover_within_days', sa.Integer(), server_default='90',
                                      nullable=False))
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('is_example', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('is_example')
        batch_op.drop_column('source')
        batch_op.drop_column('cover_within_days')
        batch_op.drop_column('single_unit_target')
        batch_op.drop_column('org_target_rate')
