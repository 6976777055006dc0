ALTER TABLE multi_community
    ADD COLUMN sidebar text;

