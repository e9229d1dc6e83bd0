-- +goose Up
-- Major accidents a leader records: the one-vote veto (一票否决) of the year's assessment.
CREATE TABLE accidents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id text NOT NULL REFERENCES campaigns (id),
    year        int NOT NULL,
    unit_id     bigint NOT NULL REFERENCES units (id),
    occurred_on date NOT NULL,
    reason      text NOT NULL CHECK (reason <> ''),
    recorded_by text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accidents_year_idx ON accidents (campaign_id, year, unit_id);

-- Annual assessment results: computed, approved by a leader, then published and frozen.
CREATE TABLE assessments (
    campaign_id  text NOT NULL REFERENCES campaigns (id),
    year         int NOT NULL,
    status       text NOT NULL CHECK (status IN ('computed', 'published')),
    round        int NOT NULL,
    results      jsonb NOT NULL,
    computed_at  timestamptz NOT NULL,
    approved_by  text,
    published_at timestamptz,
    PRIMARY KEY (campaign_id, year)
);

-- +goose StatementBegin
CREATE FUNCTION assessments_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'the % assessment of % is published and frozen', OLD.year, OLD.campaign_id;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER assessments_frozen BEFORE UPDATE OR DELETE ON assessments FOR EACH ROW EXECUTE FUNCTION assessments_frozen();

-- +goose Down
DROP TABLE assessments;
DROP FUNCTION assessments_frozen();
DROP TABLE accidents;
