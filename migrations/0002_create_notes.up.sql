-- Notes written by users. Reversible: see 0002_create_notes.down.sql.
CREATE TABLE notes (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at VARCHAR(40) NOT NULL
);
