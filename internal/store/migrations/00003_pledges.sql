-- +goose Up
-- A campaign (专项整治行动) and its policy; issue 6 gives it its calendar.
CREATE TABLE campaigns (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name       text NOT NULL,
    time_zone  text NOT NULL DEFAULT 'Asia/Shanghai',
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    policy     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);

-- The targets a pledge carries by default, per kind of signer unit; the safety office edits them.
CREATE TABLE pledge_templates (
    kind       text PRIMARY KEY CHECK (kind IN ('department', 'town', 'enterprise')),
    targets    jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT 'seed'
);

-- Each unit's duty list (职责清单; 一岗一编、一职一责 for enterprises).
CREATE TABLE duty_lists (
    unit_id    bigint PRIMARY KEY REFERENCES units (id),
    duties     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Target-responsibility pledges (安全生产目标责任书), one per campaign, year and signer.
CREATE TABLE pledges (
    id               text PRIMARY KEY,
    campaign_id      text NOT NULL REFERENCES campaigns (id),
    year             int NOT NULL,
    level            int NOT NULL,
    issuer_unit_id   bigint NOT NULL REFERENCES units (id),
    signer_unit_id   bigint NOT NULL REFERENCES units (id),
    targets          jsonb NOT NULL,
    duties           jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'signed', 'returned', 'in_force')),
    due_at           timestamptz NOT NULL,
    round            int NOT NULL DEFAULT 1,
    signed_at        timestamptz,
    signed_by        text,
    countersigned_at timestamptz,
    countersigned_by text,
    proposal         jsonb,
    proposal_comment text,
    return_comment   text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (campaign_id, year, signer_unit_id)
);
CREATE INDEX pledges_year_idx ON pledges (campaign_id, year, level, status);

-- +goose Down
DROP TABLE pledges;
DROP TABLE duty_lists;
DROP TABLE pledge_templates;
DROP TABLE campaigns;
