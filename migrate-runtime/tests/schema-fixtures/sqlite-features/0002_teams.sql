CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    CHECK (name <> '')
);
CREATE INDEX teams_by_name ON teams (name COLLATE NOCASE, id);

-- A composite primary key, WITHOUT ROWID and STRICT; foreign keys of each
-- form: on a column to the parent's primary key, deferred, multi-column.
CREATE TABLE memberships (
    account_id INTEGER NOT NULL REFERENCES accounts ON DELETE CASCADE,
    team_id INTEGER NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'owner')),
    PRIMARY KEY (account_id, team_id),
    FOREIGN KEY (team_id) REFERENCES teams (id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID, STRICT;

CREATE TABLE "order items" (
    account_id INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    granted_by INTEGER DEFAULT 0 REFERENCES accounts (id) ON DELETE SET DEFAULT,
    FOREIGN KEY (account_id, team_id) REFERENCES memberships (account_id, team_id)
        ON DELETE CASCADE
);
CREATE INDEX "order items by granter" ON "order items" (granted_by)
    WHERE granted_by IS NOT NULL;
