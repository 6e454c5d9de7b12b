ALTER TABLE comments ADD CONSTRAINT comments_post_body UNIQUE (post_id, body);
