ALTER TABLE posts ADD CONSTRAINT posts_body_length CHECK (length(body) < 10000);
