-- Background exports of lists (issue 9, item 3). Keep this file and
-- ../postgres/0034_export_jobs.sql equal in meaning.
--
-- A person asks for a list (customers, tickets, complaints, calls, the audit log …) as
-- XLSX or CSV; the server writes it on a task of its own and this row says how far it
-- got, so the exports page can show progress while the person keeps working.
--
-- kind: which list; query: the list's own query string (the filter the page showed), so
-- the export holds exactly the rows the list holds; filter_text: that filter as the sheet
-- states it. status: queued, running, done or failed. rows_done grows as pages are
-- written; rows_total is the list's size when it could be counted before writing, null
-- otherwise. heartbeat_at is the server's wall clock (not the simulated business clock):
-- a queued or running export whose heartbeat is older than two minutes was interrupted
-- (its server stopped) and is shown as such. The file lives in the data directory under
-- exports/<id>.<format> until expires_at.
CREATE TABLE export_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    query TEXT NOT NULL,
    filter_text TEXT NOT NULL,
    requested_by TEXT NOT NULL REFERENCES users(id),
    requested_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    rows_done BIGINT NOT NULL DEFAULT 0,
    rows_total BIGINT,
    bytes BIGINT,
    file_name TEXT,
    error TEXT,
    heartbeat_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT NOT NULL
);

-- "My exports", newest first.
CREATE INDEX export_jobs_requester ON export_jobs (requested_by, requested_at);
-- The clean-up of expired files.
CREATE INDEX export_jobs_expiry ON export_jobs (expires_at);
