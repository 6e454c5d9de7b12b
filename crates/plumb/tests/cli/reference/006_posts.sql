CREATE TABLE posts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id uuid NOT NULL REFERENCES users (id),
    status    post_status NOT NULL DEFAULT 'draft',
    body      text
);
