"""rbac audit logs

Revision ID: 9d4b2e8f1c73
Revises: e5a1c7b3f962
"""
from alembic import op

revision = "9d4b2e8f1c73"
down_revision = "e5a1c7b3f962"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
CREATE TABLE rbac_audit_logs (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id varchar(36) REFERENCES users (id),
    action   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rbac_audit_logs_actor_idx ON rbac_audit_logs (actor_id, at);
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
