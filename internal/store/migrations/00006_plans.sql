-- +goose Up
-- Plans (方案) of a campaign: one overall, thematic, and sector plans.
CREATE TABLE plans (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id       text NOT NULL REFERENCES campaigns (id),
    kind              text NOT NULL CHECK (kind IN ('overall', 'thematic', 'sector')),
    title             text NOT NULL CHECK (title <> ''),
    committee_unit_id bigint REFERENCES units (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, title)
);

-- Plan tasks with all four of 时间清、任务清、责任清、措施清.
CREATE TABLE plan_tasks (
    id            bigint PRIMARY KEY,
    plan_id       bigint NOT NULL REFERENCES plans (id),
    content       text NOT NULL CHECK (content <> ''),
    owner_unit_id bigint NOT NULL REFERENCES units (id),
    deadline      timestamptz NOT NULL,
    measures      text NOT NULL CHECK (measures <> ''),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_at       timestamptz,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE plan_tasks_id_seq OWNED BY plan_tasks.id;
CREATE INDEX plan_tasks_owner_idx ON plan_tasks (owner_unit_id, status);

-- +goose Down
DROP TABLE plan_tasks;
DROP TABLE plans;
