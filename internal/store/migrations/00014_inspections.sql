-- +goose Up
-- Inspections, hazards and enforcement (issue 13). Production units (生产经营单位)
-- are units of kind 'producer' below the supervising departments; the county's
-- coal mines stay 'enterprise' units (they report and sign pledges) and are
-- production units too. A coal mine has working faces that can be stopped one by one.
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check
    CHECK (kind IN ('county', 'committee', 'department', 'town', 'enterprise', 'producer'));

CREATE TABLE production_units (
    unit_id            bigint PRIMARY KEY REFERENCES units (id),
    sector             text NOT NULL CHECK (sector IN ('coal_mine', 'non_coal_mine', 'hazardous_chemicals', 'construction',
                           'road_transport', 'gas', 'industry_trade', 'fireworks', 'other')),
    supervisor_unit_id bigint NOT NULL REFERENCES units (id),
    town_unit_id       bigint REFERENCES units (id),
    responsible        text NOT NULL CHECK (responsible <> ''),
    phone              text NOT NULL DEFAULT '',
    demo               boolean NOT NULL DEFAULT false
);
CREATE INDEX production_units_sector_idx ON production_units (sector);
CREATE INDEX production_units_supervisor_idx ON production_units (supervisor_unit_id);

CREATE TABLE work_faces (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id bigint NOT NULL REFERENCES units (id),
    code    text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,40}$'),
    name    text NOT NULL CHECK (name <> ''),
    kind    text NOT NULL CHECK (kind IN ('coal', 'heading')), -- 采煤 / 掘进工作面
    UNIQUE (unit_id, code)
);

-- An inspection (检查): its kind, the body that made it and at what level, the
-- dates, its team; one inspection visits many units (次 vs 家次/矿次).
CREATE TABLE inspections (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('supervision', 'enforcement', 'covert', 'congress', 'special', 'daily')),
    title           text NOT NULL CHECK (title <> ''),
    body_unit_id    bigint NOT NULL REFERENCES units (id),
    body_level      text NOT NULL DEFAULT 'county' CHECK (body_level IN ('county', 'city', 'province', 'state')),
    source          text CHECK (source IN ('ventilation', 'rock_burst', 'daily', 'other')),
    leader_id       bigint NOT NULL REFERENCES people (id),
    members         text NOT NULL DEFAULT '',
    starts_on       date NOT NULL,
    ends_on         date NOT NULL CHECK (ends_on >= starts_on),
    campaign_id     text REFERENCES campaigns (id),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at       timestamptz,
    created_by      bigint NOT NULL REFERENCES people (id),
    idempotency_key text UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspections_kind_idx ON inspections (kind, starts_on);

CREATE TABLE inspection_visits (
    inspection_id bigint NOT NULL REFERENCES inspections (id),
    unit_id       bigint NOT NULL REFERENCES units (id),
    visited_on    date NOT NULL,
    findings      text NOT NULL DEFAULT '',
    examined      int NOT NULL DEFAULT 0 CHECK (examined BETWEEN 0 AND 100000),   -- 逢查必考
    passed        int NOT NULL DEFAULT 0 CHECK (passed BETWEEN 0 AND examined),
    leader_down   boolean,                                                  -- 带班下井 (covert checks of mines)
    PRIMARY KEY (inspection_id, unit_id, visited_on)
);
CREATE INDEX inspection_visits_unit_idx ON inspection_visits (unit_id);

-- A hazard (隐患) and its closed loop; its process is hazard/{id}.
CREATE TABLE hazards (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units (id),
    face_id         bigint REFERENCES work_faces (id),
    source          text NOT NULL CHECK (source IN ('ventilation', 'rock_burst', 'daily', 'other')),
    level           text NOT NULL CHECK (level IN ('general', 'major')),
    category        text NOT NULL CHECK (category <> ''),
    description     text NOT NULL CHECK (description <> ''),
    location        text NOT NULL DEFAULT '',
    found_by        text NOT NULL CHECK (found_by IN ('inspection', 'self', 'report')),
    inspection_id   bigint REFERENCES inspections (id),
    finder_unit_id  bigint NOT NULL REFERENCES units (id),
    found_on        date NOT NULL,
    deadline        timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'plan_returned', 'listed', 'submitted', 'returned', 'closed')),
    plan            jsonb,
    rectification   text,
    supervisor_id   bigint REFERENCES people (id),
    closed_at       timestamptz,
    campaign_id     text REFERENCES campaigns (id),
    idempotency_key text UNIQUE,
    created_by      bigint NOT NULL REFERENCES people (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (inspection_id IS NOT NULL OR found_by <> 'inspection')
);
CREATE INDEX hazards_unit_idx ON hazards (unit_id, status);
CREATE INDEX hazards_found_idx ON hazards (found_on, source, level);

-- Evidence of a hazard or its rectification: stored with its checksum, size-limited.
CREATE TABLE hazard_files (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hazard_id  bigint NOT NULL REFERENCES hazards (id),
    name       text NOT NULL CHECK (name <> ''),
    media_type text NOT NULL,
    size       int NOT NULL CHECK (size BETWEEN 1 AND 5242880),
    sha256     bytea NOT NULL CHECK (length(sha256) = 32),
    content    bytea NOT NULL,
    added_by   bigint NOT NULL REFERENCES people (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hazard_id, sha256)
);

-- A stop order (停产整顿 / 责令停止…): the whole unit or named faces; lifted
-- only through its resumption process, never while a hazard behind it is open.
CREATE TABLE stop_orders (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id      bigint NOT NULL REFERENCES units (id),
    scope        text NOT NULL CHECK (scope IN ('unit', 'faces')),
    face_ids     bigint[] NOT NULL DEFAULT '{}',
    reason       text NOT NULL CHECK (reason <> ''),
    hazard_ids   bigint[] NOT NULL DEFAULT '{}',
    case_id      bigint,
    status       text NOT NULL DEFAULT 'standing' CHECK (status IN ('standing', 'lifting', 'lifted')),
    key          text NOT NULL UNIQUE,
    issued_by    bigint REFERENCES people (id),
    issued_at    timestamptz NOT NULL,
    lifted_at    timestamptz,
    CHECK (scope = 'unit' OR cardinality(face_ids) > 0)
);
CREATE INDEX stop_orders_unit_idx ON stop_orders (unit_id, status);

-- An enforcement case (立案查处) and its steps.
CREATE TABLE cases (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units (id),
    inspection_id   bigint REFERENCES inspections (id),
    hazard_id       bigint REFERENCES hazards (id),
    authority_id    bigint NOT NULL REFERENCES units (id),
    violation       text NOT NULL CHECK (violation <> ''),
    legal_basis     text NOT NULL CHECK (legal_basis <> ''),
    decision        text CHECK (decision IN ('warning', 'fine', 'stop', 'suspend_licence', 'confiscate', 'close')),
    fine            numeric(12, 2) CHECK (fine IS NULL OR fine BETWEEN 0 AND 100000000),
    step            text NOT NULL DEFAULT 'filed' CHECK (step IN ('filed', 'investigating', 'notified', 'decided', 'executing', 'closed')),
    numbers         jsonb NOT NULL DEFAULT '{}',
    filed_on        date NOT NULL,
    closed_at       timestamptz,
    idempotency_key text UNIQUE,
    created_by      bigint NOT NULL REFERENCES people (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_unit_idx ON cases (unit_id, filed_on);

-- A covert check (暗访) that finds a mine's leader did not go down with the
-- shift summons the enterprise's head.
ALTER TABLE interviews DROP CONSTRAINT interviews_source_check;
ALTER TABLE interviews ADD CONSTRAINT interviews_source_check CHECK (source IN ('ladder', 'ranking', 'manual', 'covert'));

-- +goose Down
ALTER TABLE interviews DROP CONSTRAINT interviews_source_check;
ALTER TABLE interviews ADD CONSTRAINT interviews_source_check CHECK (source IN ('ladder', 'ranking', 'manual'));
DROP TABLE cases;
DROP TABLE stop_orders;
DROP TABLE hazard_files;
DROP TABLE hazards;
DROP TABLE inspection_visits;
DROP TABLE inspections;
DROP TABLE work_faces;
DROP TABLE production_units;
DELETE FROM units WHERE kind = 'producer';
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check CHECK (kind IN ('county', 'committee', 'department', 'town', 'enterprise'));
