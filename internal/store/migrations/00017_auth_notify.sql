-- +goose Up
-- Every change that can alter what a bearer token resolves to — a token
-- revoked, expired or deleted, a person or unit changed or removed, a grant
-- given or taken — notifies zeren_auth_changed, once per statement. The API's
-- authentication cache (store.Authenticate) empties itself on each
-- notification, so a revocation takes effect as soon as it is committed and
-- heard, whether zeren made it or an operator's SQL did.
-- +goose StatementBegin
CREATE FUNCTION notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('zeren_auth_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER api_tokens_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER people_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER role_grants_auth_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_grants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER units_auth_changed AFTER UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();

-- +goose Down
DROP TRIGGER units_auth_changed ON units;
DROP TRIGGER role_grants_auth_changed ON role_grants;
DROP TRIGGER people_auth_changed ON people;
DROP TRIGGER api_tokens_auth_changed ON api_tokens;
DROP FUNCTION notify_auth_changed();
