CREATE TABLE user_consents (
    user_id    uuid NOT NULL,
    purpose    text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, purpose)
);
