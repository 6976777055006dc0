ALTER TABLE custom_emoji
    DROP COLUMN local_site_id;

ALTER TABLE tagline
    DROP COLUMN local_site_id;

