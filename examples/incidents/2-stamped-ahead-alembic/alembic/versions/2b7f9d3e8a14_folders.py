"""folders

Revision ID: 2b7f9d3e8a14
Revises: c4e8f2a1d5b9
"""
from alembic import op

revision = "2b7f9d3e8a14"
down_revision = "c4e8f2a1d5b9"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
CREATE TABLE folders (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id varchar(36) NOT NULL REFERENCES organizations (id),
    name            text NOT NULL
);
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
