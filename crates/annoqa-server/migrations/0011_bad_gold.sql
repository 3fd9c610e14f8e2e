-- Bad gold and scorecards.
--
-- A coordinator's decision on a gold item that reliable annotators fail the same way or flag as
-- wrong. Until one is stored, such an item counts against nobody's accuracy; `keep` makes it
-- count again, `retire` leaves it out for good. One decision per item: deciding again replaces
-- it. What is suspect is not stored: it is computed from the submissions when read, so it
-- follows them and needs no upkeep here.
CREATE TABLE gold_decisions (
    project_id    TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    -- keep | retire
    decision      TEXT NOT NULL,
    decided_by    BIGINT NOT NULL REFERENCES users (id),
    decided_at_ms BIGINT NOT NULL,
    PRIMARY KEY (project_id, item_id),
    FOREIGN KEY (project_id, item_id) REFERENCES items (project_id, id) ON DELETE CASCADE
);

-- Scorecards count every annotator's submissions by status with their lead times: this index
-- answers that alone (an index-only walk, a few bytes a submission) instead of a walk over the
-- rows with their regions and gold reports.
CREATE INDEX submissions_scorecards ON submissions (project_id, user_id, status, lead_time_ms);

-- Bad-gold detection reads every scored gold submission (a tenth of a project, say) with its
-- regions; this finds them without a walk over all the submissions.
CREATE INDEX submissions_gold ON submissions (project_id, user_id) WHERE gold_passed IS NOT NULL;

-- The submissions that report what became of predictions, without a walk over all of them.
CREATE INDEX submissions_with_outcome ON submissions (project_id, user_id) WHERE prediction_outcome IS NOT NULL;

-- Scorecards read a project's reviews with their error codes; without this index that is a
-- scan of every project's reviews.
CREATE INDEX reviews_by_project ON reviews (project_id);
