-- The QA specialist's review pass.
--
-- Region-level errors of a review: a JSON list of annoqa-api `RegionError`s (`{region, code,
-- comment}`), each code from the project's taxonomy. Reviews from before have none.
ALTER TABLE reviews ADD COLUMN region_errors TEXT NOT NULL DEFAULT '[]';

-- Revisions of a submission after the annotator's own (which stays in `submissions` as revision
-- 1): a reviewer's fix stores its corrected regions here as the next revision. The diff to the
-- original is not stored: it is computed from the two region lists when read, so it cannot
-- disagree with them and the rows below need no diff made in SQL.
CREATE TABLE submission_revisions (
    id            BIGINT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    -- 2, 3, … in the order they were made.
    revision      BIGINT NOT NULL,
    author_id     BIGINT NOT NULL REFERENCES users (id),
    -- The review that made it (a fix).
    review_id     BIGINT REFERENCES reviews (id) ON DELETE CASCADE,
    regions       TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (submission_id, revision)
);

-- Fixes from before become revision 2 of their submission (one review per submission, so one
-- fix each). The review's id serves as the revision's: ids of different tables never meet.
INSERT INTO submission_revisions (id, project_id, submission_id, revision, author_id, review_id, regions, created_at_ms)
SELECT id, project_id, submission_id, 2, reviewer_id, id, regions, created_at_ms
FROM reviews WHERE verdict = 'fix' AND regions IS NOT NULL;

-- A reviewer's note may point at a region, a time range or a frame range (a JSON annoqa-api
-- `FeedbackAnchor`; NULL for the whole submission), and its recipient acknowledges it.
ALTER TABLE feedback ADD COLUMN anchor TEXT;
ALTER TABLE feedback ADD COLUMN acknowledged_at_ms BIGINT;

-- The unread count (the header badge) is asked on every page: an index answers it, and serves
-- the recipient's list as `feedback_by_recipient` did.
DROP INDEX feedback_by_recipient;
CREATE INDEX feedback_by_recipient_unread ON feedback (recipient_id, acknowledged_at_ms);
