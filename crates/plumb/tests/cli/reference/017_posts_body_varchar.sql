-- The view reads body: take it down around the type change.
DROP VIEW published_posts;
ALTER TABLE posts ALTER COLUMN body TYPE varchar(5000);
CREATE VIEW published_posts AS SELECT id, author_id, body FROM posts WHERE status = 'live';
