CREATE INDEX idx_post_aggregates_creator ON post_aggregates (creator_id);

CREATE INDEX idx_post_aggregates_community ON post_aggregates (community_id);

