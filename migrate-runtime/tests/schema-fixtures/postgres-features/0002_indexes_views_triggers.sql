CREATE UNIQUE INDEX accounts_lower_handle ON accounts (lower(handle));
CREATE INDEX accounts_recent ON accounts (created_at DESC NULLS LAST, id) INCLUDE (handle)
    WHERE balance > 0;
CREATE INDEX accounts_tags ON accounts USING gin (tags);
CREATE INDEX posts_body ON posts USING gin (body jsonb_path_ops);
CREATE INDEX posts_title_c ON posts (title COLLATE "C" text_pattern_ops);
CREATE INDEX posts_slug_hash ON posts USING hash (slug);
-- Commas, parentheses and quotes inside a key part.
CREATE INDEX posts_fallback ON posts ((coalesce(title, 'a, (b')), (body ->> 'x"y'), id);
CREATE INDEX "Votes By User" ON app.votes ("user" NULLS FIRST);
CREATE INDEX events_at ON events (at);

-- Created first, named last: a_* reads z_*.
CREATE VIEW z_accounts AS SELECT id, handle, add(1, 2) AS three FROM accounts;
CREATE VIEW a_handles AS SELECT handle FROM z_accounts WHERE three = 3;
CREATE VIEW app.scores AS
    SELECT p.id, p.title, sum(v.score) AS total
    FROM posts p JOIN app.votes v ON v.post_id = p.id
    GROUP BY p.id, p.title;
CREATE MATERIALIZED VIEW app.top_posts AS SELECT id, title, total FROM app.scores WHERE total > 10;
CREATE UNIQUE INDEX top_posts_id ON app.top_posts (id);
CREATE VIEW b_top AS SELECT title FROM app.top_posts;

CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION app.pass() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;
CREATE TRIGGER votes_scored AFTER INSERT OR UPDATE OF score ON app.votes
    FOR EACH ROW WHEN (NEW.score IS NOT NULL) EXECUTE FUNCTION app.pass();
CREATE TRIGGER a_handles_insert INSTEAD OF INSERT ON a_handles
    FOR EACH ROW EXECUTE FUNCTION app.pass();
CREATE CONSTRAINT TRIGGER posts_checked AFTER INSERT ON posts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION app.pass();
CREATE TRIGGER accounts_statement AFTER TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION app.pass();

-- Partitions, one of them partitioned in turn, with their parent's
-- index, key and trigger made on them by attaching.
CREATE TABLE events_2024 PARTITION OF events (kind WITH OPTIONS DEFAULT 'other' NOT NULL)
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_rest PARTITION OF events DEFAULT PARTITION BY LIST (kind);
CREATE TABLE app.events_rest_login PARTITION OF app.events_rest FOR VALUES IN ('login', 'logout');
CREATE INDEX events_2024_kind ON events_2024 (kind);
ALTER TABLE events ADD CONSTRAINT events_kind_known CHECK (kind <> '');
CREATE TRIGGER events_touch BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION app.pass();

-- A function of a table's row type exists only once the table does.
CREATE FUNCTION post_label(p posts) RETURNS text LANGUAGE sql STABLE AS $$ SELECT p.title || ' #' || p.id $$;
CREATE FUNCTION app.recent_posts() RETURNS SETOF posts LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT * FROM posts WHERE created_at > now() - interval '1 day'; END;
CREATE VIEW labelled_posts AS SELECT post_label(p) AS label FROM posts p;
