CREATE TABLE notes (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL,
    body text NOT NULL,
    created_at varchar(40) NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE INDEX notes_user_id ON notes (user_id);

CREATE TABLE users (
    id bigint PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    display_name varchar(100) NOT NULL,
    created_at varchar(40) NOT NULL
);

CREATE TABLE visits (
    id bigint PRIMARY KEY,
    visited_at varchar(40) NOT NULL
);
