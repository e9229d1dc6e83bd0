-- +goose Up
-- A monthly report keeps, beside the figures the unit submitted, the figures
-- its records held when it submitted them (store.RecordedFigures): the unit
-- confirms or corrects what the records say, and a correction stays visible.
ALTER TABLE reports ADD COLUMN recorded_figures jsonb;

-- +goose Down
ALTER TABLE reports DROP COLUMN recorded_figures;
