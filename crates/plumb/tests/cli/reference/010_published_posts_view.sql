CREATE VIEW published_posts AS SELECT id, author_id, body FROM posts WHERE status = 'live';
