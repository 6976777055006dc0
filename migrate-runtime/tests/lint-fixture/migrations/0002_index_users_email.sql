SET lock_timeout = '5s';

-- The email lookup.
CREATE INDEX users_email ON users (email);
