-- Work orders (工单): the ticket, its append-only timeline, department tasks (transfers),
-- links, tags, the daily number sequence, queue counters and in-app notifications.
-- Keep this file and ../sqlite/0004_tickets.sql equal in meaning.

-- GD20261128-0007: one row per local day, bumped in the creating transaction.
CREATE TABLE ticket_sequences (
    day TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    -- 1 until resolved or closed; leads the queue indexes.
    is_open BIGINT NOT NULL DEFAULT 1,
    subject TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- The case facts the handbook asks for: when, where, who, and a phone to call back.
    occurred_at BIGINT,
    place TEXT,
    people TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    customer_id TEXT REFERENCES customers(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    first_owner_id TEXT REFERENCES users(id),
    assignee_id TEXT REFERENCES users(id),
    escalated_to_id TEXT REFERENCES users(id),
    sla_policy_id TEXT,
    first_response_due BIGINT,
    first_responded_at BIGINT,
    resolution_due BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT,
    -- The current promise (承诺). promise_seq names the deadline job that watches it.
    promise_seq BIGINT NOT NULL DEFAULT 0,
    promise_text TEXT,
    promise_due_at BIGINT,
    promise_by_id TEXT REFERENCES users(id),
    promise_made_at BIGINT,
    overdue_since BIGINT,
    overdue_count BIGINT NOT NULL DEFAULT 0,
    renewed_count BIGINT NOT NULL DEFAULT 0,
    -- The SLA clock stops while waiting on the customer; remaining working time is kept.
    paused_at BIGINT,
    merged_into_id TEXT REFERENCES tickets(id),
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tickets_number ON tickets (number);
CREATE INDEX tickets_department_open ON tickets (department_id, is_open, id);
CREATE INDEX tickets_assignee_open ON tickets (assignee_id, is_open, id);
CREATE INDEX tickets_first_owner_open ON tickets (first_owner_id, is_open, id);
CREATE INDEX tickets_department_status ON tickets (department_id, status, id);
CREATE INDEX tickets_department_overdue ON tickets (department_id, is_open, overdue_since);
CREATE INDEX tickets_department_due ON tickets (department_id, is_open, promise_due_at);
CREATE INDEX tickets_customer ON tickets (customer_id, id);

CREATE TABLE ticket_tags (
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);

-- Append-only: nothing updates or deletes these rows.
CREATE TABLE ticket_events (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    at BIGINT NOT NULL,
    actor_id TEXT REFERENCES users(id),
    kind TEXT NOT NULL,
    -- For replies: the channel the customer was answered on.
    channel TEXT,
    body TEXT,
    -- JSON with the event's particulars (old and new values, promise, department …).
    detail TEXT,
    -- 1 for what the customer never sees (notes, internal changes).
    internal BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE INDEX ticket_events_actor ON ticket_events (actor_id, at);

-- A transfer to another department (研发部, 技术部 …) is a task on the ticket; the
-- ticket keeps its first owner, who follows the task.
CREATE TABLE ticket_tasks (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    done_by TEXT REFERENCES users(id),
    done_at BIGINT
);
CREATE INDEX ticket_tasks_ticket ON ticket_tasks (ticket_id);
CREATE INDEX ticket_tasks_department ON ticket_tasks (department_id, state, ticket_id);

CREATE TABLE ticket_links (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    other_id TEXT NOT NULL REFERENCES tickets(id),
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, other_id)
);

-- Queue badge counters, kept by every ticket write (see kefu_domain::queue).
CREATE TABLE queue_counts (
    key TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id TEXT REFERENCES tickets(id),
    body TEXT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
