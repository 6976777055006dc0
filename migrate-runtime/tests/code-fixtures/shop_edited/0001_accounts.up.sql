CREATE TABLE accounts (
    id BIGINT PRIMARY KEY NOT NULL,
    email VARCHAR(200) NOT NULL,
    domain VARCHAR(200)
);
INSERT INTO accounts (id, email) VALUES (1, 'ann@example.com'), (2, 'bob@Example.ORG'), (3, 'cy@example.com');
