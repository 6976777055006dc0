CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL DEFAULT 'anonymous',
    bio text
);
CREATE TABLE notes (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title text NOT NULL,
    body text
);
CREATE INDEX notes_by_user ON notes (user_id);
CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous';
