-- plumb:no-transaction
-- Built without blocking writes; plumb records progress after each statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_projects_owner ON projects (owner_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email ON users (lower(email));
