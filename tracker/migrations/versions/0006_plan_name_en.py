"""the plan's English name (plan.name_en), shown by the English screens (issue 15)

The login sessions need no change here: ``user_session`` (0003) already keeps only the
SHA-256 of the token with its user, created, last seen and expiry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
    # The shipped plan gets its English name from data/default_plan.json when the store is
    # opened (`tracker init`, `tracker serve`: tracker.chains.ensure_default_plan).


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('name_en')
