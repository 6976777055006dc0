-- The schema after version 3.
-- migrate:baseline
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
