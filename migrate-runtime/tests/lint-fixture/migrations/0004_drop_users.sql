-- migrate:phase contract
SET lock_timeout = '5s';

-- A contract migration: held until no replica of an older release runs.
DROP TABLE users;
