-- +goose Up
-- A campaign's clock (campaign time = start + (wall − anchor) × speed; speed 1 is real
-- time) and its participants: the units whose pledges, reports and scores it runs.
ALTER TABLE campaigns
    ADD COLUMN clock_speed  double precision NOT NULL DEFAULT 1 CHECK (clock_speed >= 1 AND clock_speed <= 100000 AND clock_speed = trunc(clock_speed)),
    ADD COLUMN clock_anchor timestamptz;

CREATE INDEX tasks_campaign_idx ON tasks (campaign_id, status, due_at) WHERE campaign_id IS NOT NULL;

CREATE TABLE campaign_participants (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    unit_id     bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (campaign_id, unit_id)
);

-- Campaigns made before participants were recorded take in every reporting unit.
INSERT INTO campaign_participants (campaign_id, unit_id)
SELECT c.id, u.id FROM campaigns c CROSS JOIN units u WHERE u.kind IN ('department', 'town', 'enterprise');

-- +goose Down
DROP TABLE campaign_participants;
DROP INDEX tasks_campaign_idx;
ALTER TABLE campaigns DROP COLUMN clock_anchor, DROP COLUMN clock_speed;
