-- The reviewer's paged review queue (`GET …/review-queue/page`). A page is a walk along an
-- index in submission id order (ids are random, so id order is a random order), filtered by
-- annotator, vendor, label and gold, never a scan of the submissions' region JSON.

-- Whether the submission's item is gold (of any kind). An item's kind never changes after
-- import, so the copy here cannot go stale; it lets the gold filter and its counts read an
-- index instead of looking up every item.
ALTER TABLE submissions ADD COLUMN is_gold BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE submissions SET is_gold = TRUE WHERE EXISTS (
    SELECT 1 FROM items i WHERE i.project_id = submissions.project_id AND i.id = submissions.item_id AND i.is_gold
);

-- Walks in id order over a project (all annotators) and over one annotator; the other
-- columns make them covering, so a walk or a count never reads the table's rows.
CREATE INDEX submissions_queue ON submissions (project_id, id, user_id, status, is_gold, created_at_ms);
CREATE INDEX submissions_queue_by_annotator ON submissions (project_id, user_id, id, status, is_gold, created_at_ms);
-- Each annotator's gold mean (the `risk` order) from the scored submissions only.
CREATE INDEX submissions_gold_scores ON submissions (project_id, user_id, created_at_ms, gold_score)
    WHERE gold_score IS NOT NULL;

-- The distinct labels of each submission's regions (a choice's labels included), written with
-- the submission. The other columns copy the submission's so that the label filter walks and
-- counts this table alone: all of them are fixed when the submission is stored except
-- `reviewed`, which the review that changes the submission's status sets in the same
-- transaction (`Store::insert_review`).
CREATE TABLE submission_labels (
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    label         TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    user_id       BIGINT NOT NULL,
    is_gold       BOOLEAN NOT NULL,
    reviewed      BOOLEAN NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (submission_id, label)
);

CREATE INDEX submission_labels_queue
    ON submission_labels (project_id, label, submission_id, user_id, reviewed, is_gold, created_at_ms);
CREATE INDEX submission_labels_queue_by_annotator
    ON submission_labels (project_id, label, user_id, submission_id, reviewed, is_gold, created_at_ms);

-- Submissions stored before this migration have no label rows yet. Their labels are in the
-- region JSON, which no SQL reads the same way on SQLite and PostgreSQL, so they are listed
-- here and the server fills their rows when it starts, before it serves a request
-- (`Store::index_submission_labels`, with the function a submit uses), deleting each row here
-- as it does.
CREATE TABLE submission_labels_backlog (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE
);
INSERT INTO submission_labels_backlog (submission_id) SELECT id FROM submissions;
