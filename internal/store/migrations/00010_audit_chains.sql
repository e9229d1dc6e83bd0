-- +goose Up
-- The audit log is many hash chains instead of one (issue 11, point 10): one
-- chain made every audited write in the county wait for one lock. A row now
-- belongs to a chain (0: rows without a unit and every row written before the
-- split; 1…64: units, by id modulo 64) and has a link, its place in that chain
-- (1, 2, 3, … without gaps); each chain has its own lock and its own hash links.
-- seq stays the log's order, now drawn from a sequence: numbers of appends
-- rolled back are skipped, so seq may have gaps.
ALTER TABLE audit_log
    ADD COLUMN chain int NOT NULL DEFAULT 0 CHECK (chain >= 0),
    ADD COLUMN link  bigint CHECK (link >= 1);

-- The rows of the single chain stay chain 0, linked in seq order (1, 2, 3, …):
-- their hashes are unchanged and still verify. The append-only trigger is
-- lifted for this one update, inside the migration's transaction.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE audit_log SET link = seq;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ALTER COLUMN link SET NOT NULL, ALTER COLUMN chain DROP DEFAULT;

-- One row per place in a chain (no fork even if two appenders raced), and the
-- index that finds a chain's head and walks each chain in order.
CREATE UNIQUE INDEX audit_chain_link_idx ON audit_log (chain, link);

CREATE SEQUENCE audit_log_seq OWNED BY audit_log.seq;
SELECT setval('audit_log_seq', COALESCE(max(seq), 0) + 1, false) FROM audit_log;
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq');

-- +goose Down
-- Only a log that is still one chain (nothing appended since the split) can
-- go back: the single chain's code cannot verify the other chains.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_log WHERE chain <> 0 OR link <> seq) THEN
        RAISE EXCEPTION 'audit_log has rows in chains other than 0: it cannot go back to one chain';
    END IF;
END;
$$;
-- +goose StatementEnd
ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE audit_log_seq;
DROP INDEX audit_chain_link_idx;
ALTER TABLE audit_log DROP COLUMN link, DROP COLUMN chain;
