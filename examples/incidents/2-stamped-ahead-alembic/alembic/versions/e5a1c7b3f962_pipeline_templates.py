"""pipeline templates

Revision ID: e5a1c7b3f962
Revises: 2b7f9d3e8a14
"""
from alembic import op

revision = "e5a1c7b3f962"
down_revision = "2b7f9d3e8a14"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
CREATE TABLE pipeline_templates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    folder_id  bigint REFERENCES folders (id),
    created_by varchar(36) NOT NULL REFERENCES users (id),
    name       text NOT NULL
);
CREATE TABLE pipeline_template_stages (
    template_id bigint NOT NULL REFERENCES pipeline_templates (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (template_id, position)
);
"""
    )


def downgrade():
    raise NotImplementedError("incident 2 only moves forward")
