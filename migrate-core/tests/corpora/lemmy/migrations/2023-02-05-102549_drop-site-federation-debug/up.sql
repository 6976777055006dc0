ALTER TABLE local_site
    DROP COLUMN federation_debug;

