-- +goose Up
-- Summons interviews (约谈): one open interview per unit and reason; later
-- triggers join it.
CREATE TABLE interviews (
    id              bigint PRIMARY KEY,
    campaign_id     text REFERENCES campaigns (id),
    unit_id         bigint NOT NULL REFERENCES units (id),
    reason_key      text NOT NULL,
    reason          text NOT NULL,
    source          text NOT NULL CHECK (source IN ('ladder', 'ranking', 'manual')),
    first_trigger   text NOT NULL,
    status          text NOT NULL DEFAULT 'summoned'
                    CHECK (status IN ('summoned', 'scheduled', 'acknowledged', 'held', 'committed', 'closed')),
    scheduled_at    timestamptz,
    place           text,
    leader          text,
    minutes         text,
    commitments     jsonb,
    commitments_due timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz
);
CREATE SEQUENCE interviews_id_seq OWNED BY interviews.id;
CREATE UNIQUE INDEX interviews_one_open_idx ON interviews (unit_id, reason_key) WHERE status <> 'closed';

-- What summoned an interview: the first trigger and every one that joined it.
CREATE TABLE interview_triggers (
    key          text PRIMARY KEY,
    interview_id bigint NOT NULL REFERENCES interviews (id),
    source       text NOT NULL,
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX interview_triggers_interview_idx ON interview_triggers (interview_id);

-- The interview process replaces the summons records that stood in for it.
DROP TABLE interview_summons;

-- +goose Down
CREATE TABLE interview_summons (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    unit_id      bigint NOT NULL REFERENCES units (id),
    reason       text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    status       text NOT NULL DEFAULT 'summoned',
    created_at   timestamptz NOT NULL DEFAULT now()
);
DROP TABLE interview_triggers;
DROP TABLE interviews;
