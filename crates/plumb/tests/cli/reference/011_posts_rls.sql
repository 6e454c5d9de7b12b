ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_by_author ON posts USING (author_id::text = current_setting('app.user_id', true));
