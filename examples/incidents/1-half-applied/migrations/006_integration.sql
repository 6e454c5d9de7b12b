-- Run once in a SQL editor that commits statement by statement: it stopped at the first
-- reference to organizations, leaving integrations, idx_integration_org and jobs behind.
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
ALTER TABLE integrations ADD CONSTRAINT integrations_organization_id_fkey
    FOREIGN KEY (organization_id) REFERENCES organizations (id);
CREATE TABLE IF NOT EXISTS customers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id),
    name            text NOT NULL
);
CREATE TABLE IF NOT EXISTS invoices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    amount      numeric(12, 2) NOT NULL CHECK (amount >= 0)
);
CREATE TABLE IF NOT EXISTS sync_logs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id bigint NOT NULL REFERENCES integrations (id),
    created_by     bigint REFERENCES users (id),
    message        text NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_schedules (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id bigint NOT NULL REFERENCES integrations (id),
    cron           text NOT NULL
);
CREATE INDEX idx_sync_logs_integration ON sync_logs (integration_id);
