CREATE INDEX accounts_domain ON accounts (domain);
