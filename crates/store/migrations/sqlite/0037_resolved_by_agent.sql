-- The dashboard ranks agents by today's resolutions (issue 9). The index on the moment of
-- resolution also carries the assignee, so that ranking is read from the index alone
-- instead of looking up every ticket resolved today.
DROP INDEX tickets_resolved;
CREATE INDEX tickets_resolved ON tickets (resolved_at, resolution_due, created_at, assignee_id);
