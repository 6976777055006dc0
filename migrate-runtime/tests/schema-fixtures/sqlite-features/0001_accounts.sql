-- Every kind of column SQLite keeps: declared types as written, defaults of
-- each form, collations, generated columns, AUTOINCREMENT, names that need
-- quotes, column and table checks, named and not.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    handle VARCHAR( 40 ) NOT NULL,
    balance NUMERIC(10,2) NOT NULL DEFAULT 0,
    credit REAL DEFAULT -1.5,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    flags BLOB DEFAULT x'00',
    display TEXT GENERATED ALWAYS AS (upper(handle)) VIRTUAL,
    handle_length INTEGER AS (length(handle)) STORED,
    "select" TEXT DEFAULT 'it''s',
    "first name" TEXT CONSTRAINT first_name_short CHECK (length("first name") < 100),
    age INTEGER CHECK (age >= 18),
    CONSTRAINT balance_not_negative CHECK (balance >= 0),
    CHECK (length(handle) BETWEEN 3 AND 40),
    UNIQUE (handle, "first name")
);

-- An expression index, and a partial one with a descending part and a
-- collation other than the column's.
CREATE UNIQUE INDEX accounts_by_lower_handle ON accounts (lower(handle));
CREATE INDEX accounts_recent ON accounts (created_at DESC, email COLLATE BINARY)
    WHERE balance > 0;
