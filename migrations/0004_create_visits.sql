-- One row per start of the example app.
CREATE TABLE visits (
    id BIGINT PRIMARY KEY,
    visited_at VARCHAR(40) NOT NULL
);
