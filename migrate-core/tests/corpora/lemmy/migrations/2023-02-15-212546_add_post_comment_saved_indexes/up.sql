CREATE INDEX idx_post_saved_person_id ON post_saved (person_id);

CREATE INDEX idx_comment_saved_person_id ON comment_saved (person_id);

