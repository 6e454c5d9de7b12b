ALTER TABLE projects ENABLE ROW LEVEL SECURITY;

CREATE POLICY projects_by_organization ON projects
    USING (organization_id = nullif(current_setting('app.organization_id', true), '')::bigint);

COMMENT ON TABLE projects IS 'Projects, visible only inside their organization.';
