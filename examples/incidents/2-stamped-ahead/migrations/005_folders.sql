CREATE TABLE folders (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id varchar(36) NOT NULL REFERENCES organizations (id),
    name            text NOT NULL
);
