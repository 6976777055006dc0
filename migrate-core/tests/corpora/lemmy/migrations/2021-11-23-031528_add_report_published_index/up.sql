CREATE INDEX idx_comment_report_published ON comment_report (published DESC);

CREATE INDEX idx_post_report_published ON post_report (published DESC);

