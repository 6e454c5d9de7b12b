CREATE INDEX post_tags_post ON post_tags (post_id);
