ALTER TABLE posts ADD COLUMN score positive_int;
