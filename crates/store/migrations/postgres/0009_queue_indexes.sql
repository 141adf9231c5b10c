-- Queue pages walk an index in the page's own order and stop at the page size, at a
-- million tickets as at ten: the unassigned queue (oldest first) gets its own index, and
-- the overdue and due-today queues order by deadline then id, so the id joins their
-- indexes. Keep this file and ../sqlite/0009_queue_indexes.sql equal in meaning.
CREATE INDEX tickets_unassigned ON tickets (department_id, is_open, assignee_id, id);
DROP INDEX tickets_department_overdue;
CREATE INDEX tickets_department_overdue ON tickets (department_id, is_open, overdue_since, id);
DROP INDEX tickets_department_due;
CREATE INDEX tickets_department_due ON tickets (department_id, is_open, promise_due_at, id);
