-- PostgreSQL twin of ../sqlite/0201_accounts.sql: the same tables, columns and values (times are Unix
-- nanoseconds and booleans 0/1, both BIGINT; lists are JSON in TEXT), so the Go code is shared.
-- BLOB is BYTEA, REAL is DOUBLE PRECISION.

-- Accounts and sessions that can be stopped (issue 10). Numbered 0201: 0200 is the admin
-- migration, and another change of issue 10 takes 03xx.

-- Session versions. A login session (the resource owner's) or a console session (an
-- administrator's) is a signed cookie that carries the version of its principal at sign-in;
-- it is honoured only while the version stored here is still the same. Signing out, a
-- password change, disabling or deleting the account add one, which ends every session of
-- that principal at once, on every replica. principal is 'user:' || username or
-- 'admin:' || username (administrators given by configuration have no row in admins, so the
-- versions live apart from both tables). A missing row is version 0. Rows are never deleted:
-- a user deleted and created again under the same name must not inherit the old sessions.
CREATE TABLE session_versions (
    principal TEXT    PRIMARY KEY,
    version   BIGINT  NOT NULL
);

-- Facts about the installation, one value per name: 'token_secret_fingerprint' is
-- HMAC-SHA256 under the token secret of a fixed text, so a start with a missing or different
-- secret file is noticed (cmd/oauthconf serve); 'seeded_from' records 'demo' when the
-- published test fixtures were loaded.
CREATE TABLE server_facts (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
