ALTER TABLE crates ADD max_features SMALLINT;
