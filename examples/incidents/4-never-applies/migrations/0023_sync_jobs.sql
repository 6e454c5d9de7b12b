CREATE TABLE sync_jobs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
);
