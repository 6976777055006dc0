CREATE INDEX idx_post_read_post ON post_read (post_id);

CREATE INDEX idx_post_hide_post ON post_hide (post_id);

CREATE INDEX idx_post_saved_post ON post_saved (post_id);

