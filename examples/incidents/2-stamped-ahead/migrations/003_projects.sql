CREATE TABLE projects (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id),
    name     text NOT NULL
);
CREATE INDEX projects_owner_idx ON projects (owner_id);
CREATE VIEW project_owners AS
    SELECT p.id, p.name, u.email FROM projects p JOIN users u ON u.id = p.owner_id;
