-- Fails while 20250413093000 is a phantom: organizations does not exist.
ALTER TABLE collections ADD COLUMN organization_id uuid REFERENCES organizations (id);
CREATE INDEX collections_organization_idx ON collections (organization_id);
