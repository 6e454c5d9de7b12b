-- The code expects varchar(36) ids: convert the keys and every column referencing them.
DROP VIEW published_posts;
DROP POLICY posts_by_author ON posts;
ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey;
ALTER TABLE users DROP CONSTRAINT users_organization_id_fkey;
ALTER TABLE users ALTER COLUMN id DROP DEFAULT, ALTER COLUMN id TYPE varchar(36) USING id::text;
ALTER TABLE organizations ALTER COLUMN id DROP DEFAULT, ALTER COLUMN id TYPE varchar(36) USING id::text;
ALTER TABLE users ALTER COLUMN organization_id TYPE varchar(36) USING organization_id::text;
ALTER TABLE posts ALTER COLUMN author_id TYPE varchar(36) USING author_id::text;
ALTER TABLE users ADD CONSTRAINT users_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id);
ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id);
CREATE VIEW published_posts AS SELECT id, author_id, body FROM posts WHERE status = 'live';
CREATE POLICY posts_by_author ON posts USING (author_id = current_setting('app.user_id', true));
