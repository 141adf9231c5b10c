-- Complaints (投诉闭环): the registration form of handbook document 13 on a work order of
-- type complaint (1:1), its handling rounds with the callback that ends each round, and
-- the configurable root-cause tree. Keep this file and ../sqlite/0013_complaints.sql
-- equal in meaning.

-- Root-cause categories (投诉原因分类), a tree of at most three levels. Categories in use
-- are deactivated rather than deleted, so the archive and the statistics keep them.
CREATE TABLE complaint_causes (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES complaint_causes(id),
    name TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Sibling names are unique (a root category's parent is '').
CREATE UNIQUE INDEX complaint_causes_name ON complaint_causes (COALESCE(parent_id, ''), name);
CREATE INDEX complaint_causes_parent ON complaint_causes (parent_id, position, name);

-- The complaint of a ticket. The phone is the ticket's contact_phone and the complainant
-- its contact_name (masked and revealed like any ticket's); the recorder (记录人) signs
-- the form. `stage` (handling, awaiting_callback, closed), `round` (the current round),
-- `department_id` (the responsible department of the latest handling) and
-- `cause_id` are kept here for the archive's filters and the monthly statistics.
CREATE TABLE complaints (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
    company TEXT,
    address TEXT,
    cause TEXT NOT NULL,
    desired_outcome TEXT NOT NULL,
    severity TEXT NOT NULL,
    recorder_id TEXT NOT NULL REFERENCES users(id),
    restatement TEXT,
    restatement_confirmed_at BIGINT,
    restatement_confirmed_by TEXT REFERENCES users(id),
    cause_id TEXT REFERENCES complaint_causes(id),
    department_id TEXT REFERENCES departments(id),
    stage TEXT NOT NULL,
    round BIGINT NOT NULL,
    escalated_to_id TEXT REFERENCES users(id),
    close_reason TEXT,
    closed_by TEXT REFERENCES users(id),
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The archive: newest first, by date range, and by each filter.
CREATE INDEX complaints_created ON complaints (created_at, ticket_id);
CREATE INDEX complaints_severity ON complaints (severity, created_at, ticket_id);
CREATE INDEX complaints_cause ON complaints (cause_id, created_at, ticket_id);
CREATE INDEX complaints_department ON complaints (department_id, created_at, ticket_id);
CREATE INDEX complaints_stage ON complaints (stage, created_at, ticket_id);

-- One round of handling (处理) and the callback (回访) that ends it. A dissatisfied
-- callback opens the next round. Rounds have their own id so that a callback record of
-- the general callback module can point at the round it reports on.
CREATE TABLE complaint_rounds (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES complaints(ticket_id),
    round BIGINT NOT NULL,
    -- Why the round opened: registered, dissatisfied (the previous callback), reopened.
    opened_because TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    opened_by TEXT REFERENCES users(id),
    department_id TEXT REFERENCES departments(id),
    analysis TEXT,
    corrective_action TEXT,
    handled_at BIGINT,
    handled_by TEXT REFERENCES users(id),
    callback_outcome TEXT,
    callback_notes TEXT,
    callback_at BIGINT,
    callback_by TEXT REFERENCES users(id)
);
CREATE UNIQUE INDEX complaint_rounds_number ON complaint_rounds (ticket_id, round);

-- The default tree: six root causes with a few subcategories each.
INSERT INTO complaint_causes (id, parent_id, name, position, active, created_at, updated_at) VALUES
    ('cause-quality', NULL, '产品质量', 1, 1, 0, 0),
    ('cause-service', NULL, '服务态度', 2, 1, 0, 0),
    ('cause-logistics', NULL, '物流配送', 3, 1, 0, 0),
    ('cause-price', NULL, '价格/收费', 4, 1, 0, 0),
    ('cause-repair', NULL, '售后维修', 5, 1, 0, 0),
    ('cause-other', NULL, '其他', 6, 1, 0, 0);
INSERT INTO complaint_causes (id, parent_id, name, position, active, created_at, updated_at) VALUES
    ('cause-quality-fault', 'cause-quality', '功能故障', 1, 1, 0, 0),
    ('cause-quality-damage', 'cause-quality', '外观破损', 2, 1, 0, 0),
    ('cause-quality-mismatch', 'cause-quality', '与描述不符', 3, 1, 0, 0),
    ('cause-service-attitude', 'cause-service', '态度恶劣', 1, 1, 0, 0),
    ('cause-service-slow', 'cause-service', '响应不及时', 2, 1, 0, 0),
    ('cause-service-promise', 'cause-service', '承诺未兑现', 3, 1, 0, 0),
    ('cause-logistics-late', 'cause-logistics', '配送延误', 1, 1, 0, 0),
    ('cause-logistics-lost', 'cause-logistics', '丢件错件', 2, 1, 0, 0),
    ('cause-price-overcharge', 'cause-price', '多收费', 1, 1, 0, 0),
    ('cause-price-refund', 'cause-price', '退款问题', 2, 1, 0, 0),
    ('cause-repair-slow', 'cause-repair', '维修不及时', 1, 1, 0, 0),
    ('cause-repair-again', 'cause-repair', '重复维修', 2, 1, 0, 0);
