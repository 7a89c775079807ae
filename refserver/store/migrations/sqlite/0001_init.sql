-- Initial schema. Times are Unix nanoseconds (UTC); 0 means "not set".
-- Lists (redirect URIs, grants, scopes) are JSON arrays: they are read and written whole.

CREATE TABLE clients (
    id                         TEXT    PRIMARY KEY,
    name                       TEXT    NOT NULL DEFAULT '',
    description                TEXT    NOT NULL DEFAULT '',
    secret_hash                BLOB,
    public                     INTEGER NOT NULL DEFAULT 0,
    redirect_uris              TEXT    NOT NULL DEFAULT '[]',
    grant_types                TEXT    NOT NULL DEFAULT '[]',
    scopes                     TEXT    NOT NULL DEFAULT '[]',
    token_endpoint_auth_method TEXT    NOT NULL DEFAULT '',
    access_token_ttl           INTEGER NOT NULL DEFAULT 0,
    refresh_token_ttl          INTEGER NOT NULL DEFAULT 0,
    auth_code_ttl              INTEGER NOT NULL DEFAULT 0,
    trusted                    INTEGER NOT NULL DEFAULT 0,
    enabled                    INTEGER NOT NULL DEFAULT 1,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);

CREATE TABLE users (
    username      TEXT    PRIMARY KEY,
    password_hash BLOB    NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE scopes (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

-- The four fosite token kinds share one shape. "request" is the serialized requester
-- (requested/granted scopes and audience, the sanitized form); "session" is the session JSON.
-- scopes holds the granted scopes, space-separated, for the tokens view.
CREATE TABLE authorize_codes (
    signature    TEXT    PRIMARY KEY,
    request_id   TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    scopes       TEXT    NOT NULL DEFAULT '',
    requested_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    request      TEXT    NOT NULL,
    session      TEXT    NOT NULL
);
CREATE INDEX authorize_codes_request_id ON authorize_codes (request_id);
CREATE INDEX authorize_codes_client_id ON authorize_codes (client_id);

CREATE TABLE access_tokens (
    signature    TEXT    PRIMARY KEY,
    request_id   TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    scopes       TEXT    NOT NULL DEFAULT '',
    requested_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    request      TEXT    NOT NULL,
    session      TEXT    NOT NULL
);
CREATE INDEX access_tokens_request_id ON access_tokens (request_id);
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);

CREATE TABLE refresh_tokens (
    signature        TEXT    PRIMARY KEY,
    request_id       TEXT    NOT NULL,
    client_id        TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    scopes           TEXT    NOT NULL DEFAULT '',
    requested_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL DEFAULT 0,
    active           INTEGER NOT NULL DEFAULT 1,
    request          TEXT    NOT NULL,
    session          TEXT    NOT NULL,
    access_signature TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_request_id ON refresh_tokens (request_id);
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);

CREATE TABLE pkce_requests (
    signature    TEXT    PRIMARY KEY,
    request_id   TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    scopes       TEXT    NOT NULL DEFAULT '',
    requested_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    request      TEXT    NOT NULL,
    session      TEXT    NOT NULL
);
CREATE INDEX pkce_requests_request_id ON pkce_requests (request_id);
CREATE INDEX pkce_requests_client_id ON pkce_requests (client_id);

-- JWT ids of client assertions already seen (RFC 7523 3: a jti may be used only once).
CREATE TABLE client_assertion_jtis (
    jti        TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
