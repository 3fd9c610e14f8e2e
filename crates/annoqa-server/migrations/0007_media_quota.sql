-- Bytes of media uploads each project holds, counted against the per-project upload quota. One
-- conditional UPDATE adds an upload's size only while the sum stays within the quota, so uploads
-- racing each other (on any replica) cannot pass it together. Uploads made before this
-- migration are not counted.
ALTER TABLE projects ADD COLUMN media_bytes BIGINT NOT NULL DEFAULT 0;
