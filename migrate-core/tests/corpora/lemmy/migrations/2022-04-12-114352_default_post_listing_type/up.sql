ALTER TABLE site
    ADD COLUMN default_post_listing_type text NOT NULL DEFAULT 'Local';

