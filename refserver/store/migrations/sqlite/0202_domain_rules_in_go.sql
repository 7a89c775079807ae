-- The domain rules the triggers of 0100_model held now live in Go, in the store's own
-- transactions (refserver/store: CreateUser refuses a username with ':'; CreateClient,
-- UpdateClient and DeleteClient create and remove the client's service user and its
-- memberships; DeleteUser removes the user's memberships), so that SQLite and PostgreSQL
-- enforce them with the same code. service_users keeps its ON DELETE CASCADE foreign key.
DROP TRIGGER IF EXISTS users_username_no_colon_insert;
DROP TRIGGER IF EXISTS users_username_no_colon_update;
DROP TRIGGER IF EXISTS clients_service_user_insert;
DROP TRIGGER IF EXISTS clients_service_user_grant_added;
DROP TRIGGER IF EXISTS clients_service_user_grant_removed;
DROP TRIGGER IF EXISTS clients_service_user_delete;
DROP TRIGGER IF EXISTS users_memberships_delete;
