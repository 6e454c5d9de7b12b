INSERT INTO collections (title) VALUES ('Onboarding'), ('Support macros'), ('Sales playbook'), ('Release notes');
INSERT INTO user_consents (user_id, purpose) VALUES
    ('9f0e8d7c-6b5a-4a3b-9c2d-1e0f00000001', 'analytics'),
    ('9f0e8d7c-6b5a-4a3b-9c2d-1e0f00000001', 'marketing'),
    ('9f0e8d7c-6b5a-4a3b-9c2d-1e0f00000002', 'analytics');
