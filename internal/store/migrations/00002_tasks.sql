-- +goose Up
-- The inbox read model: one row per human task, written by activities.
CREATE TABLE tasks (
    id             text PRIMARY KEY,
    workflow_id    text NOT NULL,
    kind           text NOT NULL,
    title          text NOT NULL,
    subject_type   text NOT NULL,
    subject_id     text NOT NULL,
    campaign_id    text,
    unit_id        bigint NOT NULL REFERENCES units (id),
    role           text NOT NULL,
    person_id      bigint REFERENCES people (id),
    issuer_unit_id bigint REFERENCES units (id),
    claimed_by     bigint REFERENCES people (id),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
    due_at         timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    completed_by   bigint REFERENCES people (id),
    update_id      text,
    outcome        jsonb,
    context        jsonb NOT NULL DEFAULT '{}'
);
-- The inbox walks one of these in due order: tasks for a role in a unit, tasks for one person.
CREATE INDEX tasks_unit_inbox_idx ON tasks (unit_id, role, status, due_at, id) WHERE person_id IS NULL;
CREATE INDEX tasks_person_inbox_idx ON tasks (person_id, status, due_at, id) WHERE person_id IS NOT NULL;
CREATE INDEX tasks_subject_idx ON tasks (subject_type, subject_id);
CREATE INDEX tasks_workflow_idx ON tasks (workflow_id);

CREATE TABLE task_comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    text NOT NULL REFERENCES tasks (id),
    person_id  bigint NOT NULL REFERENCES people (id),
    body       text NOT NULL CHECK (body <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_comments_task_idx ON task_comments (task_id, id);

-- Assigned matters (交办事项).
CREATE TABLE assignments (
    id              bigint PRIMARY KEY,
    title           text NOT NULL,
    content         text NOT NULL,
    due_at          timestamptz NOT NULL,
    issuer_unit_id  bigint NOT NULL REFERENCES units (id),
    assigner_id     bigint NOT NULL REFERENCES people (id),
    assignee_unit_id bigint NOT NULL REFERENCES units (id),
    reviewer_unit_id bigint NOT NULL REFERENCES units (id),
    reviewer_role   text NOT NULL,
    ladder          jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'returned', 'approved')),
    result          text,
    attachments     jsonb,
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (assigner_id, idempotency_key)
);
CREATE SEQUENCE assignments_id_seq OWNED BY assignments.id;

-- What escalation rungs produce. Each row has the unique key of the rung that
-- made it, so a retried activity writes nothing twice.
CREATE TABLE score_ledger (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    campaign_id text,
    year        int NOT NULL,
    unit_id     bigint NOT NULL REFERENCES units (id),
    points      numeric(8, 2) NOT NULL,
    reason      text NOT NULL,
    process     text NOT NULL,
    rung        int,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX score_ledger_unit_idx ON score_ledger (campaign_id, year, unit_id);

CREATE TABLE notices (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key            text NOT NULL UNIQUE,
    issuer_unit_id bigint NOT NULL REFERENCES units (id),
    unit_ids       bigint[] NOT NULL,
    reason         text NOT NULL,
    subject_type   text NOT NULL,
    subject_id     text NOT NULL,
    published      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supervision_letters (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key            text NOT NULL UNIQUE,
    issuer_unit_id bigint NOT NULL REFERENCES units (id),
    unit_id        bigint NOT NULL REFERENCES units (id),
    body           text NOT NULL,
    subject_type   text NOT NULL,
    subject_id     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Summons recorded by a ladder rung until the interview process takes them.
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

-- Notifications to send (reminders, notices, new tasks), sent by the outbox dispatcher.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    unit_id         bigint NOT NULL REFERENCES units (id),
    task_id         text,
    kind            text NOT NULL,
    title           text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_unit_idx ON outbox (unit_id, id);
CREATE INDEX outbox_task_idx ON outbox (task_id) WHERE task_id IS NOT NULL;

-- The audit log: append-only, each row chained to the one before by hash.
CREATE TABLE audit_log (
    seq          bigint PRIMARY KEY,
    key          text UNIQUE,
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    task_id      text,
    unit_id      bigint,
    before       json,
    after        json,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL
);
CREATE INDEX audit_task_idx ON audit_log (task_id, seq) WHERE task_id IS NOT NULL;
CREATE INDEX audit_subject_idx ON audit_log (subject_type, subject_id, seq);

-- +goose StatementBegin
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER score_ledger_append_only BEFORE UPDATE OR DELETE ON score_ledger
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION forbid_change() CASCADE;
DROP TABLE outbox;
DROP TABLE interview_summons;
DROP TABLE supervision_letters;
DROP TABLE notices;
DROP TABLE score_ledger;
DROP TABLE assignments;
DROP TABLE task_comments;
DROP TABLE tasks;
