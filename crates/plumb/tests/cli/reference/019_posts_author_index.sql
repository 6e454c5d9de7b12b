-- plumb:no-transaction
CREATE INDEX CONCURRENTLY posts_author ON posts (author_id);
