CREATE TABLE rbac_audit_logs (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id varchar(36) REFERENCES users (id),
    action   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rbac_audit_logs_actor_idx ON rbac_audit_logs (actor_id, at);
