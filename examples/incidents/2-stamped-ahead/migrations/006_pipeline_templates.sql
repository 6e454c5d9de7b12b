CREATE TABLE pipeline_templates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    folder_id  bigint REFERENCES folders (id),
    created_by varchar(36) NOT NULL REFERENCES users (id),
    name       text NOT NULL
);
CREATE TABLE pipeline_template_stages (
    template_id bigint NOT NULL REFERENCES pipeline_templates (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (template_id, position)
);
