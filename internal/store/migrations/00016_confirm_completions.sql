-- +goose Up
-- A completion's row is written by the Update handler's step inside the
-- workflow task that accepts the Update: a worker killed right after that
-- commit loses the Update while the row says completed. confirm_after (wall
-- time) marks such a row until the engine has seen that its process holds the
-- Update (internal/engine: ConfirmCompletions), re-sending it if not.
ALTER TABLE tasks ADD COLUMN confirm_after timestamptz;
CREATE INDEX tasks_confirm_after ON tasks (confirm_after) WHERE confirm_after IS NOT NULL;

-- +goose Down
DROP INDEX tasks_confirm_after;
ALTER TABLE tasks DROP COLUMN confirm_after;
