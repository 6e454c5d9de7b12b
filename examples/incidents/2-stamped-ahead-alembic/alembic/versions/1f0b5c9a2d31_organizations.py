"""organizations

Revision ID: 1f0b5c9a2d31
Revises: 
"""
from alembic import op

revision = "1f0b5c9a2d31"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
CREATE TABLE organizations (
    id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL
);
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
