-- Quality inspection (质检, issue 7; handbook documents 3 and 12).

-- Scorecards (评分表) and their revisions. An inspection is scored with one revision and
-- keeps it, so revising a scorecard in use never changes a past score.
CREATE TABLE qa_scorecards (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    -- The revision new inspections are scored with.
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX qa_scorecards_name ON qa_scorecards (name);

CREATE TABLE qa_scorecard_revisions (
    scorecard_id TEXT NOT NULL REFERENCES qa_scorecards(id),
    revision BIGINT NOT NULL,
    -- JSON: the criteria (kefu_domain::qa::Criterion).
    criteria TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scorecard_id, revision)
);

-- The sampling plan and the automatic-check rules (one row, id 1; JSON).
CREATE TABLE qa_settings (
    id BIGINT PRIMARY KEY,
    plan TEXT NOT NULL,
    rules TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Inspectable items (质检对象): a call, a chat, an e-mail thread (a ticket that came in by
-- e-mail) or a work order, linked to the agent who handled it, with what the sample
-- weighs. `month` ('YYYY-MM') and `day` are in the center's time (UTC+8).
CREATE TABLE qa_items (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    agent_id TEXT NOT NULL REFERENCES users(id),
    occurred_at BIGINT NOT NULL,
    month TEXT NOT NULL,
    day BIGINT NOT NULL,
    duration_s BIGINT,
    complaint BIGINT NOT NULL DEFAULT 0,
    satisfaction BIGINT,
    -- Findings of the automatic checks (0 until checked, or when nothing was found).
    flags BIGINT NOT NULL DEFAULT 0,
    checked_at BIGINT,
    -- A line to recognize the item by: a subject, a visitor's name, a queue.
    title TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX qa_items_source ON qa_items (kind, source_id);
CREATE INDEX qa_items_month ON qa_items (month, agent_id);
CREATE INDEX qa_items_agent ON qa_items (agent_id, occurred_at);
-- The automatic checks' work list: text items not checked yet.
CREATE INDEX qa_items_unchecked ON qa_items (checked_at, kind);

-- What the automatic checks found on an item (replaced when checked again).
CREATE TABLE qa_findings (
    item_id TEXT NOT NULL REFERENCES qa_items(id),
    position BIGINT NOT NULL,
    rule TEXT NOT NULL,
    message_index BIGINT,
    detail TEXT NOT NULL,
    PRIMARY KEY (item_id, position)
);

-- A month's sample: the plan and seed it was drawn with, and what it could not do.
CREATE TABLE qa_samples (
    id TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    plan TEXT NOT NULL,
    chosen BIGINT NOT NULL,
    -- JSON: agents with fewer items than the minimum, agents nobody may inspect.
    report TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX qa_samples_month ON qa_samples (month, created_at);

-- Inspections: one per chosen item (by the sample or by hand), with its inspector.
-- state: draft, published, appealed, upheld, rejected (kefu_domain::qa::InspectionState).
CREATE TABLE qa_inspections (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES qa_items(id),
    agent_id TEXT NOT NULL REFERENCES users(id),
    inspector_id TEXT NOT NULL REFERENCES users(id),
    sample_id TEXT REFERENCES qa_samples(id),
    month TEXT NOT NULL,
    week BIGINT NOT NULL,
    -- JSON: why the sample chose it (empty when added by hand).
    reasons TEXT NOT NULL,
    state TEXT NOT NULL,
    scorecard_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    -- JSON answers and result; NULL until scored.
    answers TEXT,
    result TEXT,
    -- The total in tenths of a point (0–1000).
    total_tenths BIGINT,
    critical_failure TEXT,
    summary TEXT NOT NULL DEFAULT '',
    appeal_reason TEXT,
    appealed_at BIGINT,
    decided_by TEXT REFERENCES users(id),
    decided_at BIGINT,
    decision_note TEXT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    FOREIGN KEY (scorecard_id, revision) REFERENCES qa_scorecard_revisions (scorecard_id, revision)
);
CREATE UNIQUE INDEX qa_inspections_item ON qa_inspections (item_id);
CREATE INDEX qa_inspections_inspector ON qa_inspections (inspector_id, month, state);
CREATE INDEX qa_inspections_agent ON qa_inspections (agent_id, month);
CREATE INDEX qa_inspections_month ON qa_inspections (month, state);
CREATE INDEX qa_inspections_state ON qa_inspections (state, updated_at);

-- The inspector's comments, at a moment of the recording or on the whole; coaching
-- points (辅导要点) marked.
CREATE TABLE qa_comments (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES qa_inspections(id),
    at_ms BIGINT,
    body TEXT NOT NULL,
    coaching BIGINT NOT NULL DEFAULT 0,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX qa_comments_inspection ON qa_comments (inspection_id, created_at);

-- Every step of an inspection, on the record: created, scored, published, appealed,
-- upheld, rejected.
CREATE TABLE qa_events (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES qa_inspections(id),
    at BIGINT NOT NULL,
    actor_id TEXT REFERENCES users(id),
    action TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX qa_events_inspection ON qa_events (inspection_id, at);

-- The weekly QA summary (周质检小结): common problems and the training plan, each point
-- linked to inspections as evidence (JSON). `week` is its Monday, 'YYYY-MM-DD'.
CREATE TABLE qa_summaries (
    week TEXT PRIMARY KEY,
    problems TEXT NOT NULL,
    training TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);

-- The month's refresh reads tickets and chats by when they began, and a ticket's
-- satisfaction answers.
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX survey_responses_ticket ON survey_responses (ticket_id, csat);
