-- Gold exposure control. Each annotator is shown a random subset of a project's honeypots, drawn
-- with a per-project secret (so nobody can recompute who sees which), and every honeypot counts
-- the annotators it was shown to, so the ones most of the workforce has seen — and could have
-- compared notes on — are reported to the coordinator for retirement.

-- The share of the project's annotators (0–1) a honeypot may be shown to before it is reported.
ALTER TABLE projects ADD COLUMN gold_max_exposure DOUBLE PRECISION NOT NULL DEFAULT 0.5;

-- Seeds each annotator's honeypot order and where gold falls in their sequence. Random, made by
-- the server when the project first mixes gold; never sent to a client.
ALTER TABLE projects ADD COLUMN gold_secret TEXT;

-- How many annotators each honeypot was leased to (an assignment row is one per item and user,
-- so each lease is a new annotator). Kept when a user is deleted: they saw it all the same.
-- Training gold is not counted: its answer ships with the item anyway.
CREATE TABLE gold_exposure (
    project_id TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    shown_to   BIGINT NOT NULL,
    PRIMARY KEY (project_id, item_id),
    FOREIGN KEY (project_id, item_id) REFERENCES items (project_id, id) ON DELETE CASCADE
);

-- What was shown before this migration. `gold` holds a serialized `annoqa_core::Gold`, whose
-- first field is its mode, so training gold is told apart by its leading bytes.
INSERT INTO gold_exposure (project_id, item_id, shown_to)
SELECT a.project_id, a.item_id, COUNT(*)
FROM assignments a
JOIN items i ON i.project_id = a.project_id AND i.id = a.item_id
WHERE i.is_gold AND i.gold NOT LIKE '{"mode":"training"%'
GROUP BY a.project_id, a.item_id;
