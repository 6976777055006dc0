CREATE TABLE accounts (
    id integer PRIMARY KEY AUTOINCREMENT,
    email text NOT NULL UNIQUE COLLATE NOCASE,
    handle varchar(40) NOT NULL,
    balance numeric(10, 2) NOT NULL DEFAULT 0,
    credit real DEFAULT -1.5,
    created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    flags blob DEFAULT x'00',
    display text GENERATED ALWAYS AS (upper(handle)) VIRTUAL,
    handle_length integer GENERATED ALWAYS AS (length(handle)) STORED,
    "select" text DEFAULT 'it''s',
    "first name" text,
    age integer,
    nickname text COLLATE NOCASE,
    UNIQUE (handle, "first name"),
    CHECK (age >= 18),
    CHECK (length(handle) BETWEEN 3 AND 40),
    CHECK (nickname <> ''),
    CONSTRAINT balance_not_negative CHECK (balance >= 0),
    CONSTRAINT first_name_short CHECK (length("first name") < 100)
);

CREATE UNIQUE INDEX accounts_by_lower_handle ON accounts (lower(handle));

CREATE INDEX accounts_recent ON accounts (created_at DESC, email COLLATE BINARY) WHERE balance > 0;

CREATE TABLE archive (
    id integer PRIMARY KEY,
    kept text NOT NULL DEFAULT ''
);

CREATE TABLE memberships (
    account_id integer NOT NULL,
    team_id integer NOT NULL,
    role text NOT NULL DEFAULT 'member',
    PRIMARY KEY (account_id, team_id),
    CHECK (role IN ('member', 'owner')),
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID, STRICT;

CREATE VIRTUAL TABLE notes_search USING fts5(title, body, tokenize = 'porter ascii');

CREATE TABLE "order items" (
    account_id integer NOT NULL,
    team_id integer NOT NULL,
    granted_by integer DEFAULT 0,
    FOREIGN KEY (account_id, team_id) REFERENCES memberships (account_id, team_id) ON DELETE CASCADE,
    FOREIGN KEY (granted_by) REFERENCES accounts (id) ON DELETE SET DEFAULT
);

CREATE INDEX "order items by granter" ON "order items" (granted_by) WHERE granted_by IS NOT NULL;

CREATE TABLE teams (
    id integer PRIMARY KEY,
    title text NOT NULL,
    parent_id integer,
    CHECK (title <> ''),
    FOREIGN KEY (parent_id) REFERENCES teams (id) ON DELETE SET NULL
);

CREATE INDEX teams_by_name ON teams (title COLLATE NOCASE, id);

CREATE VIEW live_accounts AS SELECT id, handle, balance FROM accounts WHERE age IS NOT NULL;

CREATE VIEW big_balances AS SELECT handle, balance FROM live_accounts WHERE balance > 1000;

CREATE VIEW doubled_balances AS SELECT id, balance  *  2 FROM accounts;

CREATE VIEW team_sizes AS SELECT team_id, count(*) FROM memberships GROUP BY team_id;

CREATE TRIGGER accounts_touch AFTER UPDATE OF balance ON accounts WHEN new.balance <> old.balance BEGIN
    UPDATE accounts SET updated_at = CURRENT_TIMESTAMP WHERE id = new.id;
    INSERT INTO notes_search(title, body) VALUES ('balance', new.handle);
END;

CREATE TRIGGER live_accounts_insert INSTEAD OF INSERT ON live_accounts BEGIN
    INSERT INTO accounts(email, handle, balance) VALUES (new.handle || '@example.com', new.handle, new.balance);
END;
