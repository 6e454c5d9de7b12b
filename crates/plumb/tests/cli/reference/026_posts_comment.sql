COMMENT ON TABLE posts IS 'what users write';
