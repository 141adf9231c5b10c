-- Reports (issue 9). Keep this file and its twin in the other backend's folder equal in
-- meaning.
--
-- A report counts records stamped inside its range; each stamp it reads by gets an index,
-- so a month's report reads that month's rows and nothing of the rest of the history.
CREATE INDEX tickets_resolved ON tickets (resolved_at);
CREATE INDEX tickets_first_responded ON tickets (first_responded_at);
-- Reopenings, kept promises, renewals and broken promises are ticket events of a kind.
CREATE INDEX ticket_events_kind_at ON ticket_events (kind, at);
CREATE INDEX callback_tasks_due ON callback_tasks (due_at);
CREATE INDEX campaign_calls_called ON campaign_calls (called_at);
CREATE INDEX campaign_targets_converted ON campaign_targets (converted_at);
CREATE INDEX qa_inspections_published ON qa_inspections (published_at);

-- Scheduled reports (the monthly service quality analysis and complaint statistics, the
-- weekly QA summary and customer service bulletin), generated once per period and kept as
-- a readable page and a workbook.
CREATE TABLE report_documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- The period covered: e.g. 2026-11 or 2026-W48.
    period_key TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    -- When it must be handed in (the 22nd for the monthly quality report).
    due_day TEXT,
    title TEXT NOT NULL,
    html TEXT NOT NULL,
    xlsx BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX report_documents_period ON report_documents (kind, period_key);
CREATE INDEX report_documents_created ON report_documents (created_at, id);
