CREATE MATERIALIZED VIEW tag_counts AS
    SELECT tag_id, count(*) AS posts FROM post_tags GROUP BY tag_id;
