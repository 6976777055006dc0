-- VACUUM cannot run inside a transaction, on SQLite or PostgreSQL.
VACUUM;
