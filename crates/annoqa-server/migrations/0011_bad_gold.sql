-- Bad gold: a coordinator's decision on a gold item that reliable annotators fail the same way
-- or flag as wrong. Until one is stored, such an item counts against nobody's accuracy; `keep`
-- makes it count again, `retire` leaves it out for good. One decision per item: deciding again
-- replaces it. What is suspect is not stored: it is computed from the submissions when read,
-- so it follows them and needs no upkeep here.
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

-- Scorecards read a project's reviews with their error codes; without this index that is a
-- scan of every project's reviews.
CREATE INDEX reviews_by_project ON reviews (project_id);
