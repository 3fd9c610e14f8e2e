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
-- columns make them covering, so a walk never reads the table's rows.
CREATE INDEX submissions_queue ON submissions (project_id, id, user_id, status, is_gold, created_at_ms);
CREATE INDEX submissions_queue_by_annotator ON submissions (project_id, user_id, id, status, is_gold, created_at_ms);
-- The submissions made since a walk's first page, which its counts leave out.
CREATE INDEX submissions_by_time ON submissions (project_id, created_at_ms);

-- The distinct labels of each submission's regions (a choice's labels included), written with
-- the submission. The key is also the walk of one label in id order; the other columns copy
-- the submission's so that a walk with the label filter reads this table alone. All of them
-- are fixed when the submission is stored except `reviewed`, which the review that changes
-- the submission's status sets in the same transaction (`Store::insert_review`). Every index
-- here costs each submit, so there are two: the key, and one annotator's walk (covering what
-- its `OFFSET` skips over).
CREATE TABLE submission_labels (
    project_id    TEXT NOT NULL,
    label         TEXT NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL,
    is_gold       BOOLEAN NOT NULL,
    reviewed      BOOLEAN NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (project_id, label, submission_id)
);

CREATE INDEX submission_labels_by_annotator
    ON submission_labels (project_id, label, user_id, submission_id, is_gold, created_at_ms);

-- How many submissions each annotator has per label, kind of item and whether reviewed, so a
-- page's progress counts, stratified rounds and gold means read a few rows per annotator
-- rather than count 100,000 submissions. `label` '' counts every submission; another value
-- those with a region of that label. The gold columns (label '' only) sum the annotator's gold
-- scores in millionths, and count them, in the row the submission was counted in when it was
-- stored. A submit adds to its rows and a review moves its submission from `reviewed` FALSE to
-- TRUE, each in its own transaction (`store_submission`, `Store::insert_review`).
CREATE TABLE review_queue_counts (
    project_id  TEXT NOT NULL,
    label       TEXT NOT NULL,
    user_id     BIGINT NOT NULL,
    is_gold     BOOLEAN NOT NULL,
    reviewed    BOOLEAN NOT NULL,
    submissions BIGINT NOT NULL,
    gold_micros BIGINT NOT NULL,
    gold_scored BIGINT NOT NULL,
    PRIMARY KEY (project_id, label, user_id, is_gold, reviewed)
);

-- Submissions stored before this migration have neither label rows nor counts yet. Their
-- labels are in the region JSON, which no SQL reads the same way on SQLite and PostgreSQL, so
-- they are listed here and the server writes their rows and counts as their submits would
-- have when it starts, before it serves a request (`Store::index_earlier_submissions`, with
-- the label function a submit uses), taking each one out of this list as it does.
CREATE TABLE submission_labels_backlog (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE
);
INSERT INTO submission_labels_backlog (submission_id) SELECT id FROM submissions;
