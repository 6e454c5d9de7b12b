-- What the SQL editor committed before "relation organizations does not exist".
CREATE TABLE IF NOT EXISTS integrations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL,
    kind            text NOT NULL
);
CREATE INDEX idx_integration_org ON integrations (organization_id);
CREATE TABLE IF NOT EXISTS jobs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id bigint NOT NULL REFERENCES integrations (id),
    report_id      bigint REFERENCES reports (id),
    state          text NOT NULL DEFAULT 'queued'
);
INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com'), ('linus@example.com');
INSERT INTO reports (owner_id, title) VALUES (1, 'Q1 revenue'), (2, 'Churn'), (2, 'Pipeline');
