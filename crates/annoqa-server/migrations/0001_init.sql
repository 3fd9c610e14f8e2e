-- Projects, their items (with gold kept in its own column) and annotators' submissions.
-- JSON columns hold annoqa-core types serialized with serde.

CREATE TABLE projects (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    guidelines    TEXT NOT NULL,
    spec          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE items (
    project_id TEXT NOT NULL REFERENCES projects (id),
    id         TEXT NOT NULL,
    position   INTEGER NOT NULL,
    item       TEXT NOT NULL,
    -- Gold answer; must never reach an annotator before their submission of the item is stored.
    gold       TEXT,
    PRIMARY KEY (project_id, id)
);

CREATE INDEX items_by_position ON items (project_id, position);

CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    annotator     TEXT NOT NULL,
    regions       TEXT NOT NULL,
    lead_time_ms  BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    gold_score    DOUBLE PRECISION,
    gold_passed   BOOLEAN,
    gold_report   TEXT,
    UNIQUE (project_id, item_id, annotator),
    FOREIGN KEY (project_id, item_id) REFERENCES items (project_id, id)
);
