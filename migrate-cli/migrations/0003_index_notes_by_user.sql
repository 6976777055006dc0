-- migrate:no-transaction
-- Runs outside a transaction, the way a large PostgreSQL table would use
-- CREATE INDEX CONCURRENTLY. This sample runs on SQLite and MySQL too,
-- which have no CONCURRENTLY, and its table is small:
-- migrate:allow index-without-concurrently portable sample; notes is small
-- migrate:allow missing-lock-timeout portable sample; notes is small
CREATE INDEX notes_user_id ON notes (user_id);
