CREATE TRIGGER accounts_touch AFTER UPDATE OF balance ON accounts
WHEN new.balance <> old.balance
BEGIN
    UPDATE accounts SET updated_at = CURRENT_TIMESTAMP WHERE id = new.id;
    INSERT INTO notes_search (title, body) VALUES ('balance', new.handle);
END;

CREATE TRIGGER live_accounts_insert INSTEAD OF INSERT ON live_accounts
BEGIN
    INSERT INTO accounts (email, handle, balance)
    VALUES (new.handle || '@example.com', new.handle, new.balance);
END;
