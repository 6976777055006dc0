CREATE TABLE domains_seen (domain VARCHAR(200) NOT NULL);
