SET lock_timeout = '5s';

-- migrate:allow drop-column nothing reads it since 2.0
ALTER TABLE users DROP COLUMN email;
