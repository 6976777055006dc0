CREATE UNIQUE INDEX idx_multi_community_lower_actor_id ON multi_community (lower(ap_id));

