-- +goose Up
-- Meetings and their decisions (议定事项督办, issue 15). A meeting of the
-- county's bodies is recorded with its chair, attendees, topics and minutes;
-- each decision (议定事项) becomes an assigned matter of the unit it names,
-- and an overdue one is escalated to the chair as well. A periodic meeting
-- of a campaign's policy opens a minutes task for its organising unit; the
-- meeting recorded for it answers that task (minutes_task).
CREATE TABLE meetings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('standing_committee', 'special_meeting', 'executive_meeting',
                        'safety_committee', 'specialist_committee', 'rectification_reflection', 'technical_exchange')),
    title           text NOT NULL CHECK (title <> ''),
    held_on         date NOT NULL,
    organiser_unit_id bigint NOT NULL REFERENCES units (id),
    chair_id        bigint NOT NULL REFERENCES people (id),
    attendees       text[] NOT NULL DEFAULT '{}',
    topics          text[] NOT NULL DEFAULT '{}',
    minutes         text NOT NULL DEFAULT '',
    campaign_id     text REFERENCES campaigns (id),
    minutes_task    text UNIQUE,
    created_by      bigint NOT NULL REFERENCES people (id),
    idempotency_key text UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_kind_idx ON meetings (kind, held_on);

CREATE TABLE meeting_decisions (
    meeting_id    bigint NOT NULL REFERENCES meetings (id),
    seq           int NOT NULL CHECK (seq >= 0),
    content       text NOT NULL CHECK (content <> ''),
    unit_id       bigint NOT NULL REFERENCES units (id),
    due_at        timestamptz NOT NULL,
    assignment_id bigint NOT NULL UNIQUE REFERENCES assignments (id),
    PRIMARY KEY (meeting_id, seq)
);

-- +goose Down
DROP TABLE meeting_decisions;
DROP TABLE meetings;
