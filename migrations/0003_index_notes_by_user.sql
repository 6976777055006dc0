-- migrate:no-transaction
-- Runs outside a transaction, the way a large PostgreSQL table would use
-- CREATE INDEX CONCURRENTLY.
CREATE INDEX notes_user_id ON notes (user_id);
