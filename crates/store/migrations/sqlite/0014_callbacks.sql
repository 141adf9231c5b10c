-- Callbacks (回访): tasks created by rules (after a ticket is resolved, after a complaint's
-- round is handled, tier plans, holidays and special dates, expiry dates) and by hand or
-- from imported lists; their attempts; the plans and the policy an admin edits. Keep this
-- file and ../postgres/0014_callbacks.sql equal in meaning.

-- The date a customer's contract or service expires (YYYY-MM-DD, local): renewal
-- reminders fall due the plan's lead days before it.
ALTER TABLE customers ADD COLUMN expires_on TEXT;
CREATE INDEX customers_expires ON customers (expires_on, id);

-- The policy (one row): how long an open task may go without a follow-up, the retry
-- policy, which resolved ticket types get an after-sale callback (repair tickets a repair
-- verification) and how many hours after the resolution it falls due.
CREATE TABLE callback_settings (
    id TEXT PRIMARY KEY,
    follow_up_hours BIGINT NOT NULL,
    unreachable_minutes BIGINT NOT NULL,
    busy_minutes BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    after_sale_types TEXT NOT NULL,
    after_sale_delay_hours BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO callback_settings (id, follow_up_hours, unreachable_minutes, busy_minutes,
    max_attempts, after_sale_types, after_sale_delay_hours, updated_at)
    VALUES ('default', 48, 120, 30, 3, 'repair,return_exchange', 24, 0);

-- Plans: `periodic` (customers of `tier` once per `period`), `care` (on the first day of
-- each holiday when `holidays`, and on `special_dates`, MM-DD comma-separated; created
-- `lead_days` ahead), `renewal` (`lead_days` before a customer's expiry date). A null
-- tier means every tier. `script` is the template read out, with placeholders.
CREATE TABLE callback_plans (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    tier TEXT REFERENCES customer_tiers(code),
    period TEXT,
    holidays BIGINT NOT NULL DEFAULT 0,
    special_dates TEXT NOT NULL DEFAULT '',
    lead_days BIGINT NOT NULL DEFAULT 0,
    script TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO callback_plans (id, kind, name, tier, period, holidays, special_dates, lead_days,
    script, active, created_at, updated_at) VALUES
    ('plan-vip-monthly', 'periodic', 'VIP 客户月度回访', 'VIP', 'month', 0, '', 0, NULL, 1, 0, 0),
    ('plan-a-quarterly', 'periodic', 'A 类客户季度回访', 'A', 'quarter', 0, '', 0, NULL, 1, 0, 0),
    ('plan-vip-care', 'care', 'VIP 客户节日关怀', 'VIP', NULL, 1, '', 3, NULL, 1, 0, 0),
    ('plan-renewal', 'renewal', '到期续约提醒', NULL, NULL, 0, '', 30, NULL, 1, 0, 0);

-- A callback task. `dedupe_key` makes every rule idempotent (`periodic:<plan>:<period>:
-- <customer>`, `care:<plan>:<date>:<customer>`, `renewal:<customer>:<date>`,
-- `after_sale:<ticket>`, `complaint:<ticket>:<round>` …), so a rerun or a restart never
-- creates a task twice. `next_at` is when the next attempt is due (the queue's order);
-- `watch_from` is the last follow-up the 48-hour watch measures from; `raised_at` is
-- set when the watch raised the task and cleared by the next attempt. The handbook's
-- record: contact name, gender, phone, time, opinions and suggestions.
CREATE TABLE callback_tasks (
    id TEXT PRIMARY KEY,
    dedupe_key TEXT,
    kind TEXT NOT NULL,
    customer_id TEXT REFERENCES customers(id),
    ticket_id TEXT REFERENCES tickets(id),
    round BIGINT,
    plan_id TEXT REFERENCES callback_plans(id),
    period_key TEXT,
    title TEXT,
    article_id TEXT,
    due_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    watch_from BIGINT NOT NULL,
    raised_at BIGINT,
    assignee_id TEXT REFERENCES users(id),
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    outcome TEXT,
    notes TEXT,
    contact_name TEXT,
    contact_gender TEXT,
    contact_phone TEXT,
    contacted_at BIGINT,
    opinions TEXT,
    suggestions TEXT,
    fee_cents BIGINT,
    fee_confirmed BIGINT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT REFERENCES users(id)
);
CREATE UNIQUE INDEX callback_tasks_dedupe ON callback_tasks (dedupe_key);
-- The queues: today (by next attempt), by assignee, by kind; the watch; the raised.
CREATE INDEX callback_tasks_queue ON callback_tasks (status, next_at, id);
CREATE INDEX callback_tasks_assignee ON callback_tasks (assignee_id, status, next_at, id);
CREATE INDEX callback_tasks_kind ON callback_tasks (kind, status, next_at, id);
CREATE INDEX callback_tasks_watch ON callback_tasks (status, watch_from);
CREATE INDEX callback_tasks_raised ON callback_tasks (raised_at, id) WHERE raised_at IS NOT NULL;
CREATE INDEX callback_tasks_customer ON callback_tasks (customer_id, created_at);
CREATE INDEX callback_tasks_ticket ON callback_tasks (ticket_id);

-- Every attempt, append-only: the result, the agreed time of a call-back-later, the
-- outcome of a completed callback and the agent's notes.
CREATE TABLE callback_attempts (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES callback_tasks(id),
    result TEXT NOT NULL,
    later_at BIGINT,
    outcome TEXT,
    notes TEXT,
    by_id TEXT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX callback_attempts_task ON callback_attempts (task_id, at);
