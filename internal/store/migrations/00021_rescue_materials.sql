-- +goose Up
-- Rescue materials (救援物资数据库和共享机制, issue 15 point 2). Each mine keeps
-- its inventory of rescue materials and equipment; quantity is what is in its
-- store now, lent what it has handed over to a borrower and not had back.
CREATE TABLE material_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units (id),
    name            text NOT NULL CHECK (name <> ''),
    spec            text NOT NULL DEFAULT '',
    uom             text NOT NULL CHECK (uom <> ''),
    quantity        int NOT NULL CHECK (quantity BETWEEN 0 AND 1000000),
    lent            int NOT NULL DEFAULT 0 CHECK (lent BETWEEN 0 AND 1000000),
    min_stock       int NOT NULL DEFAULT 0 CHECK (min_stock BETWEEN 0 AND 1000000),
    location        text NOT NULL DEFAULT '',
    inspected_on    date,
    expires_on      date,
    version         int NOT NULL DEFAULT 1,
    created_by      bigint NOT NULL REFERENCES people (id),
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, name, spec),
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX material_items_name_idx ON material_items (name);

-- A loan of materials from one mine (the owner) to a mine or the emergency
-- bureau (the requester), for an emergency or a drill; its process is loan/{id}.
CREATE TABLE material_loans (
    id                bigint PRIMARY KEY,
    requester_unit_id bigint NOT NULL REFERENCES units (id),
    owner_unit_id     bigint NOT NULL REFERENCES units (id),
    purpose           text NOT NULL CHECK (purpose IN ('emergency', 'drill')),
    reason            text NOT NULL CHECK (reason <> ''),
    return_days       int NOT NULL CHECK (return_days BETWEEN 1 AND 365),
    status            text NOT NULL DEFAULT 'requested'
                        CHECK (status IN ('requested', 'approved', 'refused', 'handed_over', 'returned', 'unsupplied', 'cancelled')),
    return_how        text CHECK (return_how IN ('return', 'replace')),
    campaign_id       text REFERENCES campaigns (id),
    requested_by      bigint NOT NULL REFERENCES people (id),
    idempotency_key   text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    approved_at       timestamptz,
    handed_over_at    timestamptz,
    returned_at       timestamptz,
    CHECK (requester_unit_id <> owner_unit_id),
    UNIQUE (requested_by, idempotency_key)
);
CREATE SEQUENCE material_loans_id_seq OWNED BY material_loans.id;
CREATE INDEX material_loans_owner_idx ON material_loans (owner_unit_id, id);
CREATE INDEX material_loans_requester_idx ON material_loans (requester_unit_id, id);

CREATE TABLE material_loan_items (
    loan_id  bigint NOT NULL REFERENCES material_loans (id),
    position int NOT NULL,
    item_id  bigint NOT NULL REFERENCES material_items (id),
    quantity int NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    PRIMARY KEY (loan_id, position),
    UNIQUE (loan_id, item_id)
);

-- Every movement of an item's stock, keyed so a retry never moves twice:
-- the inventory's ledger (the audit log holds who and why as well).
CREATE TABLE material_movements (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key            text NOT NULL UNIQUE,
    item_id        bigint NOT NULL REFERENCES material_items (id),
    loan_id        bigint REFERENCES material_loans (id),
    kind           text NOT NULL CHECK (kind IN ('stock', 'adjust', 'handover', 'return')),
    quantity_delta int NOT NULL,
    lent_delta     int NOT NULL DEFAULT 0,
    quantity_after int NOT NULL,
    actor          text NOT NULL,
    at             timestamptz NOT NULL
);
CREATE INDEX material_movements_item_idx ON material_movements (item_id, id);

-- A low stock or an expired item opens one alert (and its process,
-- material-alert/{id}) while none is open for the same item and condition.
CREATE TABLE material_alerts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id   bigint NOT NULL REFERENCES material_items (id),
    condition text NOT NULL CHECK (condition IN ('low', 'expired')),
    opened_at timestamptz NOT NULL,
    closed_at timestamptz
);
CREATE UNIQUE INDEX material_alerts_open_idx ON material_alerts (item_id, condition) WHERE closed_at IS NULL;

-- +goose Down
DROP TABLE material_alerts;
DROP TABLE material_movements;
DROP TABLE material_loan_items;
DROP TABLE material_loans;
DROP TABLE material_items;
