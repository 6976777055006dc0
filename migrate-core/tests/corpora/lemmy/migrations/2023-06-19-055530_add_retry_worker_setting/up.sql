ALTER TABLE local_site
    DROP COLUMN federation_worker_count;

