-- Login attempts are counted before the password is checked. A row is written when an attempt
-- starts; it is deleted again when the attempt is refused by the limit, when the server was too
-- busy to check it, or when it succeeds (with that username's earlier failures from the same
-- address). What stays within the window are failed attempts and attempts in flight. The limiter
-- counts them per username (from any address) and per client address (for any username), so
-- parallel attempts cannot all slip past the limit and every replica on the database enforces
-- the same limits. The periodic purge deletes rows older than the window.
ALTER TABLE login_failures RENAME TO login_attempts;
-- The attempt's own row, deleted by id; rows from before this migration have none and are only
-- counted until the purge.
ALTER TABLE login_attempts ADD COLUMN id BIGINT;
DROP INDEX login_failures_by_key;
CREATE INDEX login_attempts_by_username ON login_attempts (username, at_ms);
CREATE INDEX login_attempts_by_client ON login_attempts (client, at_ms);

-- API tokens get an id (shown in lists and used to revoke one; never the secret or its hash),
-- an end of life and the time they were last used (kept to the minute).
ALTER TABLE api_tokens ADD COLUMN id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN expires_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN last_used_at_ms BIGINT;
-- Tokens made before this migration are numbered 1, 2, … (the server makes random 63-bit ids
-- from now on) and live the default 90 days from their creation, like a token made today: a
-- token older than that stops working and is replaced with `annoqa user token NAME`.
UPDATE api_tokens SET
    id = (SELECT COUNT(*) FROM api_tokens older WHERE older.token_hash <= api_tokens.token_hash),
    expires_at_ms = created_at_ms + 7776000000;
CREATE UNIQUE INDEX api_tokens_by_id ON api_tokens (id);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
