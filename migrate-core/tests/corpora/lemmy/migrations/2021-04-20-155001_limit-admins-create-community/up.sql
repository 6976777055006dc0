ALTER TABLE site
    ADD COLUMN community_creation_admin_only bool NOT NULL DEFAULT FALSE;

