"""projects

Revision ID: a93d1e6f4b07
Revises: 7c2e4a8b9f12
"""
from alembic import op

revision = "a93d1e6f4b07"
down_revision = "7c2e4a8b9f12"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
CREATE TABLE projects (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id),
    name     text NOT NULL
);
CREATE INDEX projects_owner_idx ON projects (owner_id);
CREATE VIEW project_owners AS
    SELECT p.id, p.name, u.email FROM projects p JOIN users u ON u.id = p.owner_id;
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
