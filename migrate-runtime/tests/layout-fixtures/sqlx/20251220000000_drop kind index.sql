-- no-transaction
-- sqlx reads the directive on the first line only; this is a comment.
DROP INDEX CONCURRENTLY events_kind;
