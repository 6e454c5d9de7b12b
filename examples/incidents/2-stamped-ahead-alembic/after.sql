-- Someone added display_name by hand during a hotfix; then the history was stamped to head.
ALTER TABLE users ADD COLUMN display_name text;
INSERT INTO organizations (id, name) VALUES
    ('6f1c2a4e-8d1b-4c1e-9a51-1d2f3e4a5b6c', 'Acme'),
    ('0b7e9d2c-3a4f-4e5d-8c6b-7a8f9e0d1c2b', 'Globex');
INSERT INTO users (id, organization_id, email) VALUES
    ('a3d4e5f6-1111-4a2b-8c3d-000000000001', '6f1c2a4e-8d1b-4c1e-9a51-1d2f3e4a5b6c', 'ada@acme.test'),
    ('a3d4e5f6-1111-4a2b-8c3d-000000000002', '6f1c2a4e-8d1b-4c1e-9a51-1d2f3e4a5b6c', 'grace@acme.test'),
    ('a3d4e5f6-1111-4a2b-8c3d-000000000003', '0b7e9d2c-3a4f-4e5d-8c6b-7a8f9e0d1c2b', 'linus@globex.test');
INSERT INTO projects (owner_id, name) VALUES
    ('a3d4e5f6-1111-4a2b-8c3d-000000000001', 'Billing'),
    ('a3d4e5f6-1111-4a2b-8c3d-000000000002', 'Search'),
    ('a3d4e5f6-1111-4a2b-8c3d-000000000003', 'Mobile'),
    ('a3d4e5f6-1111-4a2b-8c3d-000000000003', 'Desktop');
