-- Every kind of column, key and table option the MySQL inspector reads.
CREATE SEQUENCE ticket_numbers START WITH 1000 INCREMENT BY 10 MINVALUE 1000 MAXVALUE 999999 CACHE 20 CYCLE;

CREATE TABLE accounts (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    handle VARCHAR(40) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL,
    display_name VARCHAR(100) COLLATE utf8mb4_bin DEFAULT 'it''s me' COMMENT 'shown to others',
    status ENUM('Active','Locked','it''s gone') NOT NULL DEFAULT 'Active',
    flags SET('A','b') DEFAULT 'A,b',
    mask BIT(3) DEFAULT b'101',
    balance DECIMAL(12,2) NOT NULL DEFAULT 0.00,
    ratio DOUBLE DEFAULT -1.5,
    zip SMALLINT(5) UNSIGNED ZEROFILL,
    settings JSON,
    age INT CHECK (age >= 0),
    birth_year YEAR,
    ticket BIGINT NOT NULL DEFAULT NEXTVAL(ticket_numbers),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    touched_at DATETIME(3) ON UPDATE CURRENT_TIMESTAMP(3),
    deleted_at TIMESTAMP NULL,
    token CHAR(36) NOT NULL DEFAULT (UUID()),
    email_domain VARCHAR(255) AS (SUBSTRING_INDEX(email, '@', -1)) VIRTUAL,
    email_lower VARCHAR(255) AS (LOWER(email)) STORED,
    bio TEXT,
    avatar BLOB,
    UNIQUE KEY accounts_email (email),
    UNIQUE KEY accounts_handle_prefix (handle(10), id DESC),
    UNIQUE KEY accounts_bio (bio) USING HASH,
    KEY accounts_created (created_at DESC),
    KEY accounts_lower (email_lower),
    FULLTEXT KEY accounts_bio_text (bio),
    CONSTRAINT balance_not_negative CHECK (balance >= 0),
    CONSTRAINT adult CHECK (age IS NULL OR age >= 18)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC
  COMMENT='who signs in; a quote '' and a backslash \\';

-- Names the servers reserve, and names that are not plain words.
CREATE TABLE `order` (
    `key` INT NOT NULL,
    `select` VARCHAR(10) NOT NULL,
    `my column` INT,
    `2fa` TINYINT(1) NOT NULL DEFAULT 0,
    PRIMARY KEY (`key`, `select`),
    KEY `by my column` (`my column`)
);

-- A child named before its parent: the dump makes it first, with foreign
-- key checks off. Its foreign key has no index of its own: the server
-- makes one, named after the constraint.
CREATE TABLE z_parent (
    a INT NOT NULL,
    b INT NOT NULL,
    label VARCHAR(20),
    PRIMARY KEY (a, b),
    parent_a INT,
    parent_b INT,
    CONSTRAINT z_parent_self FOREIGN KEY (parent_a, parent_b) REFERENCES z_parent (a, b) ON DELETE SET NULL
);

CREATE TABLE a_child (
    id INT NOT NULL PRIMARY KEY,
    parent_a INT,
    parent_b INT,
    account_id INT UNSIGNED,
    order_key INT,
    order_select VARCHAR(10),
    CONSTRAINT a_child_parent FOREIGN KEY (parent_a, parent_b) REFERENCES z_parent (a, b)
        ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT a_child_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE NO ACTION,
    CONSTRAINT a_child_order FOREIGN KEY (order_key, order_select) REFERENCES `order` (`key`, `select`)
        ON UPDATE RESTRICT ON DELETE SET NULL
);
CREATE INDEX a_child_by_account ON a_child (account_id, id);

CREATE TABLE places (
    id INT NOT NULL PRIMARY KEY,
    location POINT NOT NULL,
    SPATIAL KEY places_location (location)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;

CREATE TABLE sessions_cache (
    token CHAR(32) NOT NULL PRIMARY KEY,
    user_id INT NOT NULL,
    KEY sessions_by_user (user_id) USING BTREE,
    KEY sessions_by_user_hash (user_id)
) ENGINE=MEMORY COMMENT='evicted on restart';

CREATE TABLE prices (
    id INT NOT NULL PRIMARY KEY,
    amount DECIMAL(10,2) NOT NULL
) WITH SYSTEM VERSIONING;

CREATE TABLE price_history (
    id INT NOT NULL PRIMARY KEY,
    amount DECIMAL(10,2) NOT NULL,
    valid_from TIMESTAMP(6) GENERATED ALWAYS AS ROW START,
    valid_to TIMESTAMP(6) GENERATED ALWAYS AS ROW END,
    PERIOD FOR SYSTEM_TIME (valid_from, valid_to)
) WITH SYSTEM VERSIONING;
