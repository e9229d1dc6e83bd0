-- +goose Up
-- Policy documents (制度): each row is one version of a document; versions of
-- the same document share series_id (the first version's id).
CREATE TABLE policy_documents (
    id              bigint PRIMARY KEY,
    series_id       bigint NOT NULL,
    version         int NOT NULL CHECK (version BETWEEN 1 AND 1000),
    title           text NOT NULL,
    number          text,
    issuer_unit_id  bigint NOT NULL REFERENCES units (id),
    issued_by       bigint NOT NULL REFERENCES people (id),
    issued_on       date NOT NULL,
    body            text NOT NULL,
    due_at          timestamptz NOT NULL,
    ladder          jsonb NOT NULL,
    campaign_id     text REFERENCES campaigns (id),
    status          text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'acknowledged', 'superseded')),
    superseded_by   bigint REFERENCES policy_documents (id),
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series_id, version),
    UNIQUE (issued_by, idempotency_key)
);
CREATE SEQUENCE policy_documents_id_seq OWNED BY policy_documents.id;

-- The units that must acknowledge a version; the acknowledgement is the
-- completion of task_id, recorded here too by the process.
CREATE TABLE policy_document_units (
    document_id     bigint NOT NULL REFERENCES policy_documents (id),
    unit_id         bigint NOT NULL REFERENCES units (id),
    position        int NOT NULL,
    task_id         text NOT NULL UNIQUE,
    acknowledged_at timestamptz,
    acknowledged_by text,
    comment         text,
    PRIMARY KEY (document_id, unit_id)
);
CREATE INDEX policy_document_units_unit_idx ON policy_document_units (unit_id);

-- +goose Down
DROP TABLE policy_document_units;
DROP TABLE policy_documents;
