-- An older calls table, created by hand long ago: no organization_id.
CREATE TABLE calls (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    caller     text
);
INSERT INTO calls (started_at, caller) VALUES
    ('2025-03-01 09:00+00', '+1 555 0100'), ('2025-03-01 09:05+00', '+1 555 0101'),
    ('2025-03-02 14:30+00', '+44 20 7946 0000'), ('2025-03-03 08:15+00', NULL), ('2025-03-04 17:45+00', '+33 1 23 45 67 89');
