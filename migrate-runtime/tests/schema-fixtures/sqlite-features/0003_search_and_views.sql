-- A virtual table: its shadow tables are its own, not the schema's.
CREATE VIRTUAL TABLE notes_search USING fts5(title, body, tokenize = 'porter ascii');

-- A view on a view, named so that it sorts before the view it uses.
CREATE VIEW live_accounts AS
    SELECT id, handle, balance
    FROM accounts
    WHERE age IS NOT NULL;
CREATE VIEW big_balances AS SELECT handle, balance FROM live_accounts WHERE balance > 1000;

-- An unaliased column is named by its expression's text: count(*) reads
-- back the same spaced canonically, so this view's text is respaced...
CREATE VIEW team_sizes AS
    SELECT team_id, count(*)   FROM memberships   GROUP BY team_id;
-- ... "balance  *  2" would not, so this one is kept as written.
CREATE VIEW doubled_balances AS SELECT id, balance  *  2 FROM accounts;
