-- +goose Up
-- Training sessions (安全培训) and publicity items (宣传) as records (issue 15
-- point 4): each organised or published by a unit, which records its own. A
-- monthly report's recorded training_sessions and people_trained count them
-- (store.RecordedFigures), and the statistics sum them (store.Statistics).
CREATE TABLE trainings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units (id),
    held_on         date NOT NULL,
    topic           text NOT NULL CHECK (topic <> ''),
    audience        text NOT NULL CHECK (audience IN ('frontline', 'heads', 'managers', 'special_workers', 'officials', 'public', 'other')),
    trained         integer NOT NULL CHECK (trained BETWEEN 1 AND 100000),
    hours           numeric(4, 1) CHECK (hours IS NULL OR hours BETWEEN 0.5 AND 240),
    location        text NOT NULL DEFAULT '',
    notes           text NOT NULL DEFAULT '',
    campaign_id     text REFERENCES campaigns (id),
    idempotency_key text UNIQUE,
    created_by      bigint NOT NULL REFERENCES people (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trainings_unit_idx ON trainings (unit_id, held_on);
CREATE INDEX trainings_held_idx ON trainings (held_on);

CREATE TABLE publicity_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id         bigint NOT NULL REFERENCES units (id),
    kind            text NOT NULL CHECK (kind IN ('tv_column', 'radio', 'newspaper', 'online', 'poster', 'event', 'other')),
    title           text NOT NULL CHECK (title <> ''),
    channel         text NOT NULL CHECK (channel <> ''),
    published_on    date NOT NULL,
    notes           text NOT NULL DEFAULT '',
    campaign_id     text REFERENCES campaigns (id),
    idempotency_key text UNIQUE,
    created_by      bigint NOT NULL REFERENCES people (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX publicity_items_unit_idx ON publicity_items (unit_id, published_on);
CREATE INDEX publicity_items_published_idx ON publicity_items (published_on);

-- +goose Down
DROP TABLE publicity_items;
DROP TABLE trainings;
