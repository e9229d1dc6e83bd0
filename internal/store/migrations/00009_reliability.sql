-- +goose Up
-- One completion in flight per task: the API claims the task row with the
-- request's key before it sends the Update, and the claim lapses by itself.
ALTER TABLE tasks
    ADD COLUMN completing_key   text,
    ADD COLUMN completing_until timestamptz;

-- When a campaign was ended early (campaign time): no rung fires after it.
ALTER TABLE campaigns ADD COLUMN ended_at timestamptz;

-- Engine uptime: every worker beats once a minute; a gap of more than two
-- minutes between beats is an outage, recorded once, and a deadline that fell
-- in it gets a grace as long as the outage before any penalty.
CREATE TABLE engine_pulse (
    id        int PRIMARY KEY CHECK (id = 1),
    last_beat timestamptz
);
INSERT INTO engine_pulse (id, last_beat) VALUES (1, NULL);

CREATE TABLE engine_outages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL UNIQUE,
    ended_at   timestamptz NOT NULL,
    CHECK (ended_at > started_at)
);
CREATE INDEX engine_outages_span_idx ON engine_outages (started_at, ended_at);

-- What each summons of an interview was about, in words an official reads, so
-- the interview lists every item and its commitments answer each.
ALTER TABLE interview_triggers
    ADD COLUMN id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN subject_type text,
    ADD COLUMN subject_id   text,
    ADD COLUMN task_id      text,
    ADD COLUMN rung         int,
    ADD COLUMN label        text;

-- A summons joins an interview only until it is held; a later one opens a new
-- interview, so the commitments of each answer every item it lists.
DROP INDEX interviews_one_open_idx;
CREATE UNIQUE INDEX interviews_one_open_idx ON interviews (unit_id, reason_key)
    WHERE status IN ('summoned', 'scheduled', 'acknowledged');

-- +goose Down
DROP INDEX interviews_one_open_idx;
CREATE UNIQUE INDEX interviews_one_open_idx ON interviews (unit_id, reason_key) WHERE status <> 'closed';
ALTER TABLE interview_triggers DROP COLUMN label, DROP COLUMN rung, DROP COLUMN task_id, DROP COLUMN subject_id,
    DROP COLUMN subject_type, DROP COLUMN id;
DROP TABLE engine_outages;
DROP TABLE engine_pulse;
ALTER TABLE campaigns DROP COLUMN ended_at;
ALTER TABLE tasks DROP COLUMN completing_until, DROP COLUMN completing_key;
