-- Reached by editing: SQLite rewrites the stored CREATE TABLE text of each
-- table (and of the index on the renamed column), the model does not move.
ALTER TABLE teams RENAME COLUMN name TO title;
ALTER TABLE accounts ADD COLUMN nickname TEXT COLLATE NOCASE CHECK (nickname <> '');
CREATE TABLE legacy (id INTEGER PRIMARY KEY, obsolete TEXT, kept TEXT NOT NULL DEFAULT '');
ALTER TABLE legacy DROP COLUMN obsolete;
ALTER TABLE legacy RENAME TO archive;
