DROP TABLE domains_seen;
