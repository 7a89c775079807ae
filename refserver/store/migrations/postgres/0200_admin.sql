-- PostgreSQL twin of ../sqlite/0200_admin.sql: the same tables, columns and values (times are Unix
-- nanoseconds and booleans 0/1, both BIGINT; lists are JSON in TEXT), so the Go code is shared.
-- BLOB is BYTEA, REAL is DOUBLE PRECISION.

-- Admin console and API (issue 4). Numbered 0200 so the other helpers' numbering is untouched.

-- Administrators of the console and the admin API. Their passwords are bcrypt hashes. They are
-- a separate namespace from resource owners (users) and from clients: an OAuth client secret or
-- a resource owner's password never authenticates an administrator.
CREATE TABLE admins (
    username      TEXT    PRIMARY KEY,
    password_hash BYTEA   NOT NULL,
    created_at    BIGINT  NOT NULL
);

-- Run-time settings the console edits (token lifetimes, PKCE for public clients, the approval
-- page's text). One row, JSON: once saved it replaces the server's configured values.
CREATE TABLE server_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    settings   TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
