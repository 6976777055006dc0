ALTER TABLE post
    ADD COLUMN embed_video_width integer,
    ADD COLUMN embed_video_height integer;

