ALTER TABLE local_image
    DROP COLUMN pictrs_delete_token;

