-- +goose Up
-- Every change to a campaign (its clock's speed and anchor, its first day, its
-- time zone) notifies zeren_campaigns_changed, once per statement. The API
-- keeps the campaigns' clocks in memory (store.CampaignNow, store.CachedFastClocks)
-- and empties them on each notification, as it does its tokens (00017).
-- +goose StatementBegin
CREATE FUNCTION notify_campaigns_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('zeren_campaigns_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER campaigns_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION notify_campaigns_changed();

-- +goose Down
DROP TRIGGER campaigns_changed ON campaigns;
DROP FUNCTION notify_campaigns_changed();
