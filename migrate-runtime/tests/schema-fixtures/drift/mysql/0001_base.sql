CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(100) NOT NULL DEFAULT 'anonymous',
    bio TEXT
);
CREATE TABLE notes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT,
    -- Its own index: the one MariaDB makes for a foreign key goes when
    -- another index on the column comes, and that one could not be dropped.
    KEY notes_user (user_id),
    CONSTRAINT notes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX notes_by_user ON notes (user_id);
CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous';
