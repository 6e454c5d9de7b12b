-- The tables 006 needs: written after the incident, never applied to this database.
CREATE TABLE organizations (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE organization_members (
    organization_id bigint NOT NULL REFERENCES organizations (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (organization_id, user_id)
);
