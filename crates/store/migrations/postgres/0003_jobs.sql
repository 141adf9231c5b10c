-- The durable scheduler: every deadline and reminder is a row, fired exactly once.
-- A job's effects and its completion commit in one transaction; a crash before the
-- commit leaves it due, so it fires again after the restart, and only once.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- Scheduling the same thing twice (same key) is a no-op.
    dedupe_key TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    due_at BIGINT NOT NULL,
    -- pending, done or failed
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key);
CREATE INDEX jobs_due ON jobs (status, due_at);
