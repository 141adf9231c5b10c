-- Recurring position duties become dated tasks (issue 9, item 5). Keep this file and
-- ../postgres/0032_duty_tasks.sql equal in meaning.

-- One task per position, duty, holder and period: the duty scheduler inserts with
-- ON CONFLICT DO NOTHING on duty_tasks_once, so running it again — the next day, after a
-- restart, on a second server — makes nothing twice.
--
-- duty_key names the duty within its position: the first 16 hex digits of the SHA-256 of
-- its text (kefu_domain::org::occurrence::duty_key). Reordering a position's duties or
-- changing a cadence keeps the key; a changed text is a new duty, and the scheduler
-- withdraws the old duty's open tasks that are not yet due. duty_text and cadence are
-- the duty as it was when the task was made, so the task reads the same after an edit.
--
-- period_key: the day (2026-12-22) for daily and shift duties, the ISO week (2026-W49)
-- for weekly ones, the month (2026-12) for monthly ones.
--
-- status: open or done. A done task keeps who completed it, when, and what it delivered:
-- deliverable_kind log, report or link with deliverable_ref (duty-log/2026-12-22/a,
-- work-log/2026-12-22, a kefu page path, an http(s) address), both null when none.
CREATE TABLE duty_tasks (
    id TEXT PRIMARY KEY,
    position_id TEXT NOT NULL REFERENCES positions(id) ON DELETE CASCADE,
    duty_key TEXT NOT NULL,
    duty_text TEXT NOT NULL,
    cadence TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    period_key TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    done_at BIGINT,
    done_by TEXT REFERENCES users(id),
    deliverable_kind TEXT,
    deliverable_ref TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX duty_tasks_once ON duty_tasks (position_id, duty_key, user_id, period_key);
-- My duties (open ones by due, done ones latest first).
CREATE INDEX duty_tasks_user ON duty_tasks (user_id, status, due_at, id);
-- Everyone's overdue or open duties by due (the lead's page, the wallboard's count, the
-- scheduler withdrawing open tasks not yet due).
CREATE INDEX duty_tasks_status_due ON duty_tasks (status, due_at, id);
