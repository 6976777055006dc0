SET check_function_bodies = false;
SET search_path = public;

CREATE SEQUENCE accounts_id_seq
    AS bigint
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1;

CREATE TABLE accounts (
    id bigint DEFAULT nextval('accounts_id_seq'::regclass) NOT NULL,
    email text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_email_key UNIQUE (email)
);

ALTER SEQUENCE accounts_id_seq OWNED BY accounts.id;

CREATE INDEX accounts_created_at ON accounts (created_at);
