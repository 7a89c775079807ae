-- The management model (issue 4): packages and their folders, the resources each scope opens,
-- groups of principals, ACLs, the ACL guarding each resource, the service users of
-- client-credentials clients, and the calculator's history.
--
-- Principals. A principal is who a token acts as at the resource server:
--   * a resource owner: the username, which never contains ':' (enforced below);
--   * a client's service user: 'client:' || client_id (client ids may contain anything).
-- RFC 9700 4.15: a client able to choose a client id equal to a user's name must never be able
-- to act as that user. The ':' rule keeps the two namespaces disjoint: no username can equal
-- 'client:<anything>', and a client id 'alice' becomes the principal 'client:alice', not 'alice'.

CREATE TRIGGER users_username_no_colon_insert BEFORE INSERT ON users
WHEN instr(NEW.username, ':') > 0
BEGIN
    SELECT RAISE(ABORT, 'username must not contain '':'' (reserved for client service users, RFC 9700 4.15)');
END;

CREATE TRIGGER users_username_no_colon_update BEFORE UPDATE OF username ON users
WHEN instr(NEW.username, ':') > 0
BEGIN
    SELECT RAISE(ABORT, 'username must not contain '':'' (reserved for client service users, RFC 9700 4.15)');
END;

-- A package groups folders (as an Integration Server package holds its folders); a folder
-- belongs to at most one package.
CREATE TABLE packages (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE package_folders (
    package TEXT NOT NULL REFERENCES packages (name) ON DELETE CASCADE,
    folder  TEXT NOT NULL UNIQUE,
    PRIMARY KEY (package, folder)
);

-- What a scope opens. kind: 'path' (method + path template), 'service' (qualified name
-- folder.sub:service), 'folder' (every service in it and its subfolders), 'package' (every
-- folder of the package). method is '' except for paths.
CREATE TABLE scope_resources (
    scope  TEXT NOT NULL REFERENCES scopes (name) ON DELETE CASCADE,
    kind   TEXT NOT NULL CHECK (kind IN ('path', 'service', 'folder', 'package')),
    method TEXT NOT NULL DEFAULT '',
    name   TEXT NOT NULL,
    PRIMARY KEY (scope, kind, method, name)
);

CREATE TABLE groups (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

-- principal is a username or 'client:<client_id>' (see above).
CREATE TABLE group_members (
    group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
    principal  TEXT NOT NULL,
    PRIMARY KEY (group_name, principal)
);
CREATE INDEX group_members_principal ON group_members (principal);

CREATE TABLE acls (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

-- A group is listed once per ACL, either allowed or denied. RESTRICT: a group an ACL names
-- cannot be deleted from under it.
CREATE TABLE acl_groups (
    acl        TEXT NOT NULL REFERENCES acls (name) ON DELETE CASCADE,
    group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE RESTRICT,
    effect     TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
    PRIMARY KEY (acl, group_name)
);

-- The ACL guarding a resource (a path or a service).
CREATE TABLE resource_acls (
    kind   TEXT NOT NULL CHECK (kind IN ('path', 'service')),
    method TEXT NOT NULL DEFAULT '',
    name   TEXT NOT NULL,
    acl    TEXT NOT NULL REFERENCES acls (name) ON DELETE RESTRICT,
    PRIMARY KEY (kind, method, name)
);

-- The service user of a client allowed client_credentials: its principal is
-- 'client:' || client_id. It exists exactly while the client exists and has the grant, so it
-- is created and removed with the client by the triggers below, in the client's own statement
-- (and so in its transaction).
CREATE TABLE service_users (
    client_id  TEXT    PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);

-- Clients that existed before this migration.
INSERT INTO service_users (client_id, created_at)
SELECT id, created_at FROM clients
WHERE EXISTS (SELECT 1 FROM json_each(clients.grant_types) WHERE value = 'client_credentials');

CREATE TRIGGER clients_service_user_insert AFTER INSERT ON clients
WHEN EXISTS (SELECT 1 FROM json_each(NEW.grant_types) WHERE value = 'client_credentials')
BEGIN
    INSERT OR IGNORE INTO service_users (client_id, created_at) VALUES (NEW.id, NEW.created_at);
END;

CREATE TRIGGER clients_service_user_grant_added AFTER UPDATE OF grant_types ON clients
WHEN EXISTS (SELECT 1 FROM json_each(NEW.grant_types) WHERE value = 'client_credentials')
BEGIN
    INSERT OR IGNORE INTO service_users (client_id, created_at) VALUES (NEW.id, NEW.updated_at);
END;

-- Losing the grant removes the service user and its group memberships: granting it again
-- later starts from no memberships instead of silently restoring old rights.
CREATE TRIGGER clients_service_user_grant_removed AFTER UPDATE OF grant_types ON clients
WHEN NOT EXISTS (SELECT 1 FROM json_each(NEW.grant_types) WHERE value = 'client_credentials')
BEGIN
    DELETE FROM service_users WHERE client_id = NEW.id;
    DELETE FROM group_members WHERE principal = 'client:' || NEW.id;
END;

CREATE TRIGGER clients_service_user_delete AFTER DELETE ON clients
BEGIN
    DELETE FROM group_members WHERE principal = 'client:' || OLD.id;
END;

CREATE TRIGGER users_memberships_delete AFTER DELETE ON users
BEGIN
    DELETE FROM group_members WHERE principal = OLD.username;
END;

-- The calculator's history: one row per calculation, by the principal that made it.
CREATE TABLE calculations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    principal  TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    op         TEXT    NOT NULL,
    a          REAL    NOT NULL,
    b          REAL    NOT NULL,
    result     REAL    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX calculations_principal ON calculations (principal, id);
