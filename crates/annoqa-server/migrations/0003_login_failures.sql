-- Failed logins per (lowercased username, client address), so the login rate limit holds across
-- every `annoqa serve` replica on the database, not per process. Rows older than the limiter's
-- window are deleted by the periodic purge.
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    client   TEXT NOT NULL,
    at_ms    BIGINT NOT NULL
);

CREATE INDEX login_failures_by_key ON login_failures (username, client, at_ms);
