-- +goose Up
-- A unit's group robots: DingTalk (钉钉) custom robots and WeCom (企业微信)
-- group robots. Every outbox message of the unit goes to each enabled one, as
-- well as to the main sender (the webhook or the log). secret is DingTalk's
-- signing secret (加签, "SEC…"); '' when the robot does not sign.
CREATE TABLE unit_channels (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES units (id),
    kind       text NOT NULL CHECK (kind IN ('dingtalk', 'wecom')),
    url        text NOT NULL CHECK (url ~ '^https?://[^/?#[:space:]]+' AND length(url) <= 2048),
    secret     text NOT NULL DEFAULT '' CHECK (secret = '' OR kind = 'dingtalk'),
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, kind, url)
);

-- What each outbox message has been delivered to, each target once: when a
-- message is tried again because one target failed, only the targets not
-- listed here are sent to. channel_id NULL is the main sender.
CREATE TABLE outbox_deliveries (
    outbox_id    bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    channel_id   bigint REFERENCES unit_channels (id) ON DELETE CASCADE,
    delivered_at timestamptz NOT NULL DEFAULT now()
);
-- Identity ids start at 1, so 0 stands for the main sender.
CREATE UNIQUE INDEX outbox_deliveries_target_idx ON outbox_deliveries (outbox_id, coalesce(channel_id, 0));
CREATE INDEX outbox_deliveries_channel_idx ON outbox_deliveries (channel_id) WHERE channel_id IS NOT NULL;

-- +goose Down
DROP TABLE outbox_deliveries;
DROP TABLE unit_channels;
