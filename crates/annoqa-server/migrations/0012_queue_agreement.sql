-- The paged review queue's `risk` strategy weighs annotators toward low agreement with their
-- peers as well as low gold scores. The agreement of two submissions of an item is the
-- reviewer's overlay's pairwise F1 (annoqa-stats), computed from both submissions' regions and
-- the spec, which no SQL computes, so it is computed when the later submission is stored, in
-- its transaction, against the latest few earlier ones of the item by other annotators, and
-- summed per annotator beside the gold sums rather than recomputed for every page.

-- Each annotator's agreement F1s with peers in millionths, and how many pairs they sum, in
-- their label '' row of `review_queue_counts` (not reviewed, of the item's kind); like the gold
-- sums they stay in the row they were added to when a review moves the submission.
ALTER TABLE review_queue_counts ADD COLUMN agree_micros BIGINT NOT NULL DEFAULT 0;
ALTER TABLE review_queue_counts ADD COLUMN agree_pairs BIGINT NOT NULL DEFAULT 0;

-- Every pair the sums count, under the later submission: a walk takes the pairs of the
-- submissions made after its first page out of both annotators' sums, as it takes out their
-- gold scores, so that an annotator's key, which a cursor carries, stays what it was. Read
-- through the submissions made since a walk's first page (`submissions_by_time`), a few.
CREATE TABLE queue_agreement_pairs (
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    peer_id       BIGINT NOT NULL,
    micros        BIGINT NOT NULL,
    PRIMARY KEY (submission_id, peer_id)
);

-- Submissions stored before this migration have no pairs yet. Their regions are JSON, which no
-- SQL reads the same way on SQLite and PostgreSQL, and the F1 needs annoqa-stats, so they are
-- listed here and the server pairs each with the earlier submissions of its item as its submit
-- would have when it starts, before it serves a request (`Store::index_earlier_submissions`,
-- with the function a submit uses), taking each one out of this list as it does.
CREATE TABLE queue_agreement_backlog (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE
);
INSERT INTO queue_agreement_backlog (submission_id) SELECT id FROM submissions;
