-- +goose Up
-- Joint drills (联合演练) of the coal-mine rescue teams, planned by the bureau
-- per year: the drill, its participating units (each with its preparation
-- task) and the problems its evaluation found, each a general hazard.
CREATE TABLE drills (
    id                bigint PRIMARY KEY,
    year              int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    title             text NOT NULL CHECK (title <> ''),
    scenario          text NOT NULL CHECK (scenario <> ''),
    location          text,
    organiser_unit_id bigint NOT NULL REFERENCES units (id),
    lead_unit_id      bigint NOT NULL REFERENCES units (id),
    planned_by        bigint NOT NULL REFERENCES people (id),
    drill_at          timestamptz NOT NULL,
    prepare_due       timestamptz NOT NULL CHECK (prepare_due <= drill_at),
    ladder            jsonb NOT NULL,
    campaign_id       text REFERENCES campaigns (id),
    status            text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'evaluated', 'closed')),
    evaluate_task_id  text NOT NULL UNIQUE,
    held_on           date,
    evaluation        text,
    evaluated_by      text,
    evaluated_at      timestamptz,
    closed_at         timestamptz,
    idempotency_key   text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (planned_by, idempotency_key)
);
CREATE SEQUENCE drills_id_seq OWNED BY drills.id;
CREATE INDEX drills_year_idx ON drills (year, drill_at);

CREATE TABLE drill_units (
    drill_id        bigint NOT NULL REFERENCES drills (id),
    unit_id         bigint NOT NULL REFERENCES units (id),
    position        int NOT NULL,
    prepare_task_id text NOT NULL UNIQUE,
    prepared_at     timestamptz,
    prepared_by     text,
    preparation     text,
    present         boolean,
    PRIMARY KEY (drill_id, unit_id)
);
CREATE INDEX drill_units_unit_idx ON drill_units (unit_id);

-- A problem the evaluation found, and the general hazard it opened (one each).
CREATE TABLE drill_problems (
    drill_id    bigint NOT NULL REFERENCES drills (id),
    position    int NOT NULL CHECK (position >= 1),
    unit_id     bigint NOT NULL REFERENCES units (id),
    description text NOT NULL CHECK (description <> ''),
    deadline    timestamptz NOT NULL,
    hazard_id   bigint NOT NULL UNIQUE REFERENCES hazards (id),
    PRIMARY KEY (drill_id, position)
);

ALTER TABLE hazards DROP CONSTRAINT hazards_found_by_check;
ALTER TABLE hazards ADD CONSTRAINT hazards_found_by_check CHECK (found_by IN ('inspection', 'self', 'report', 'drill'));

-- +goose Down
DROP TABLE drill_problems;
DROP TABLE drill_units;
DROP TABLE drills;
ALTER TABLE hazards DROP CONSTRAINT hazards_found_by_check;
ALTER TABLE hazards ADD CONSTRAINT hazards_found_by_check CHECK (found_by IN ('inspection', 'self', 'report'));
