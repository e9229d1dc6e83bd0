-- +goose Up
-- Monthly progress reports (月度工作汇报), one per campaign, unit and month.
CREATE TABLE reports (
    id              text PRIMARY KEY,
    campaign_id     text NOT NULL REFERENCES campaigns (id),
    unit_id         bigint NOT NULL REFERENCES units (id),
    period          text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    status          text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'submitted', 'returned', 'accepted')),
    due_at          timestamptz NOT NULL,
    round           int NOT NULL DEFAULT 1,
    figures         jsonb,
    progress        jsonb,
    problems        text,
    next_steps      text,
    submitted_at    timestamptz,
    submitted_by    text,
    accepted_at     timestamptz,
    accepted_by     text,
    late_seconds    bigint,
    return_comment  text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (campaign_id, unit_id, period)
);
CREATE INDEX reports_period_idx ON reports (campaign_id, period, status);

-- Notices may also be issued by hand, with who issued them.
ALTER TABLE notices ADD COLUMN issued_by text NOT NULL DEFAULT 'engine';
CREATE INDEX notices_created_idx ON notices (created_at DESC, id DESC);

-- +goose Down
DROP INDEX notices_created_idx;
ALTER TABLE notices DROP COLUMN issued_by;
DROP TABLE reports;
