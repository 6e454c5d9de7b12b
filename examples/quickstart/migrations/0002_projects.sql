CREATE TYPE project_status AS ENUM ('active', 'archived');

CREATE TABLE projects (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    name            text NOT NULL,
    status          project_status NOT NULL DEFAULT 'active'
);

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();  -- semicolons inside dollar quotes do not split statements
    RETURN NEW;
END;
$$;

ALTER TABLE projects ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TRIGGER projects_touch BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
