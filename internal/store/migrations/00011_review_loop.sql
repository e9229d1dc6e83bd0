-- +goose Up
-- An interview's commitments run in the review loop: the interviewee reports
-- them fulfilled (the ladder presses the interviewee), the safety office
-- confirms or returns the fulfilment with a comment.
ALTER TABLE interviews DROP CONSTRAINT interviews_status_check;
ALTER TABLE interviews ADD CONSTRAINT interviews_status_check
    CHECK (status IN ('summoned', 'scheduled', 'acknowledged', 'held', 'committed', 'fulfilled', 'returned', 'closed'));
ALTER TABLE interviews
    ADD COLUMN fulfilment     text,
    ADD COLUMN return_comment text;

-- +goose Down
ALTER TABLE interviews DROP COLUMN return_comment, DROP COLUMN fulfilment;
UPDATE interviews SET status = 'committed' WHERE status IN ('fulfilled', 'returned');
ALTER TABLE interviews DROP CONSTRAINT interviews_status_check;
ALTER TABLE interviews ADD CONSTRAINT interviews_status_check
    CHECK (status IN ('summoned', 'scheduled', 'acknowledged', 'held', 'committed', 'closed'));
