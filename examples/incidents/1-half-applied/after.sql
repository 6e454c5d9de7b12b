INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com'), ('linus@example.com');
INSERT INTO reports (owner_id, title) VALUES (1, 'Q1 revenue'), (2, 'Churn'), (2, 'Pipeline');
