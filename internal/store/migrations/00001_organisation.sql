-- +goose Up
CREATE TABLE units (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name       text NOT NULL CHECK (name <> ''),
    kind       text NOT NULL CHECK (kind IN ('county', 'committee', 'department', 'town', 'enterprise')),
    parent_id  bigint REFERENCES units (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_parent_idx ON units (parent_id);

-- Which department supervises which enterprise (or town, or department).
CREATE TABLE supervision (
    supervisor_id bigint NOT NULL REFERENCES units (id),
    supervised_id bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (supervisor_id, supervised_id),
    CHECK (supervisor_id <> supervised_id)
);
CREATE INDEX supervision_supervised_idx ON supervision (supervised_id);

-- Which units sit on which committee, and which of them leads it.
CREATE TABLE committee_members (
    committee_id bigint NOT NULL REFERENCES units (id),
    unit_id      bigint NOT NULL REFERENCES units (id),
    is_lead      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (committee_id, unit_id)
);
CREATE UNIQUE INDEX committee_one_lead_idx ON committee_members (committee_id) WHERE is_lead;

CREATE TABLE people (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text NOT NULL UNIQUE CHECK (key <> ''),
    name       text NOT NULL CHECK (name <> ''),
    title      text NOT NULL DEFAULT '',
    unit_id    bigint NOT NULL REFERENCES units (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_unit_idx ON people (unit_id);

CREATE TABLE role_grants (
    person_id bigint NOT NULL REFERENCES people (id),
    role      text NOT NULL CHECK (role IN ('leader', 'safety_office', 'unit_head', 'staff', 'inspector', 'admin')),
    unit_id   bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (person_id, role, unit_id)
);
CREATE INDEX role_grants_unit_role_idx ON role_grants (unit_id, role);

-- Bearer tokens, stored as SHA-256 of the token: a leaked table grants nothing.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    bigint NOT NULL REFERENCES people (id),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_person_idx ON api_tokens (person_id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE role_grants;
DROP TABLE people;
DROP TABLE committee_members;
DROP TABLE supervision;
DROP TABLE units;
