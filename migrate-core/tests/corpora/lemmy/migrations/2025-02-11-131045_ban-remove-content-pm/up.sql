ALTER TABLE private_message
    ADD COLUMN removed bool NOT NULL DEFAULT FALSE;

