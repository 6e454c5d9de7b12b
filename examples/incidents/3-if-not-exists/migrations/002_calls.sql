CREATE TABLE IF NOT EXISTS calls (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint REFERENCES organizations (id),
    started_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_organization_id_idx ON calls (organization_id);
