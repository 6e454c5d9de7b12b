INSERT INTO organizations (name) VALUES ('Acme'), ('Globex');
