"""users

Revision ID: 7c2e4a8b9f12
Revises: 1f0b5c9a2d31
"""
from alembic import op

revision = "7c2e4a8b9f12"
down_revision = "1f0b5c9a2d31"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    email           text NOT NULL UNIQUE
);
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
