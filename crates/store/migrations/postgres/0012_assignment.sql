-- Balanced assignment of customers to agents and first-contact tasks (handbook document
-- 7: 客户按数量均衡、兼顾业务能力分配给客服专员，一周内与客户沟通). Keep this file and
-- ../sqlite/0012_assignment.sql equal in meaning.

-- An agent's skill weight (业务能力), 1 to 10: a weight-2 agent gets twice the share.
ALTER TABLE users ADD COLUMN skill_weight BIGINT NOT NULL DEFAULT 1;

-- One row: the days a newly assigned customer must be contacted within.
CREATE TABLE assignment_settings (
    id BIGINT PRIMARY KEY,
    contact_days BIGINT NOT NULL
);
INSERT INTO assignment_settings (id, contact_days) VALUES (1, 7);

-- First contact after an assignment: open until the agent records the contact
-- (outcome 'contacted') or the customer moves on to another agent ('reassigned').
CREATE TABLE contact_tasks (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES users(id),
    assigned_by TEXT,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT,
    outcome TEXT
);
-- An agent's open tasks, soonest due first (the task list and its overdue marks).
CREATE INDEX contact_tasks_agent_open ON contact_tasks (agent_id, due_at, id) WHERE closed_at IS NULL;
-- A customer's tasks (the customer page, recording a contact, reassignment).
CREATE INDEX contact_tasks_customer ON contact_tasks (customer_id, closed_at);
