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
