-- One review per submission. A review changes the submission's status from `submitted` to its
-- verdict, and nothing ever sets it back, so a second review of the same submission has never
-- been meant; the store refuses one by guarding that status change (409 `already_reviewed`), and
-- this index makes the database refuse it too.
--
-- Before the guard, reviews racing each other could all be stored, the last one's verdict
-- winning the submission's status. Of such duplicates, keep the review whose verdict the
-- submission's status shows (that is the one whose effect — status, requeue — is in the
-- database), the latest of those if several, and drop the others; then the index can be built.
DELETE FROM reviews WHERE id NOT IN (
    SELECT (
        SELECT r.id FROM reviews r JOIN submissions s ON s.id = r.submission_id
        WHERE r.submission_id = kept.submission_id
        ORDER BY
            CASE WHEN (r.verdict = 'accept' AND s.status = 'accepted')
                   OR (r.verdict = 'reject' AND s.status = 'rejected')
                   OR (r.verdict = 'fix' AND s.status = 'fixed') THEN 0 ELSE 1 END,
            r.created_at_ms DESC,
            r.id DESC
        LIMIT 1
    )
    FROM reviews kept
);

DROP INDEX reviews_by_submission;
CREATE UNIQUE INDEX one_review_per_submission ON reviews (submission_id);
