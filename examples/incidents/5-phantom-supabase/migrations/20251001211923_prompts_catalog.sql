CREATE TABLE prompts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    title           text NOT NULL
);
CREATE TABLE prompt_versions (
    prompt_id uuid NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    version   integer NOT NULL,
    body      text NOT NULL,
    PRIMARY KEY (prompt_id, version)
);
