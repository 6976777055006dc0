CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT 'anonymous',
    bio TEXT
);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT
);
CREATE INDEX notes_by_user ON notes (user_id);
CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous';
