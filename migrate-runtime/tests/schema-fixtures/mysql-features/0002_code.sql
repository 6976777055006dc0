-- Views, routines, triggers and an event.
DELIMITER $$
CREATE FUNCTION account_label(account_id INT) RETURNS VARCHAR(120) READS SQL DATA
BEGIN
  DECLARE label VARCHAR(120);
  SELECT CONCAT(display_name, ' <', email, '>') INTO label FROM accounts WHERE id = account_id;
  RETURN label;
END$$
CREATE PROCEDURE purge_deleted(IN older_than_days INT)
BEGIN
  DELETE FROM accounts WHERE deleted_at < NOW() - INTERVAL older_than_days DAY;
  DELETE FROM a_child WHERE account_id IS NULL;
END$$
-- A function and a procedure may share a name.
CREATE PROCEDURE account_label(IN account_id INT)
  SELECT account_label(account_id)$$
CREATE TRIGGER accounts_lowercase BEFORE INSERT ON accounts FOR EACH ROW
BEGIN
  SET NEW.email = LOWER(NEW.email);
  IF NEW.display_name IS NULL THEN
    SET NEW.display_name = NEW.handle;
  END IF;
END$$
DELIMITER ;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW SET NEW.touched_at = NOW(3);

-- Named so that the one read by the other sorts first.
CREATE VIEW b_active_accounts AS SELECT id, email, handle FROM accounts WHERE status = 'Active';
CREATE VIEW a_labelled_accounts AS SELECT id, account_label(id) AS label FROM b_active_accounts;
CREATE VIEW adults AS SELECT id, age FROM accounts WHERE age >= 18 WITH CHECK OPTION;

CREATE EVENT purge_daily ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'
  ON COMPLETION PRESERVE DISABLE COMMENT 'nightly' DO CALL purge_deleted(30);
