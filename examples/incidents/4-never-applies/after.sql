INSERT INTO sync_jobs (source) VALUES ('stripe'), ('hubspot'), ('salesforce');
