-- Phone calls from the telephony system (CTI), the IVR menu, and the content-addressed
-- file store that call recordings (and later ticket attachments) live in.
-- Keep this file and ../sqlite/0006_calls.sql equal in meaning.

-- The IVR menu (语音导航) the admin configures: press key → queue.
CREATE TABLE ivr_options (
    key TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    queue TEXT NOT NULL,
    ticket_type TEXT,
    sort_order BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
INSERT INTO ivr_options (key, label, queue, ticket_type, sort_order, updated_at) VALUES
    ('1', '咨询', 'consultation', 'consultation', 1, 0),
    ('2', '投诉建议', 'complaint', 'complaint', 2, 0),
    ('0', '人工服务', 'agent', NULL, 3, 0);

-- Files on disk under <data_dir>/blobs/ab/cdef…, named by their SHA-256.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    -- Sniffed from the first bytes, never taken from the sender.
    content_type TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per call: the projection of its events (call_events), rebuilt on every event.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    -- The CTI's own call id.
    external_id TEXT NOT NULL,
    -- offered, answered or ended
    state TEXT NOT NULL,
    -- Personal data: the caller's normalized number.
    caller TEXT,
    ivr_key TEXT,
    queue TEXT,
    -- The agent as the CTI named them (工号 or username), and who that is.
    agent_ref TEXT,
    agent_id TEXT REFERENCES users(id),
    -- NULL while the offered event has not arrived.
    offered_at BIGINT,
    answered_at BIGINT,
    ended_at BIGINT,
    duration_s BIGINT,
    -- caller, agent or system
    hangup_side TEXT,
    customer_id TEXT REFERENCES customers(id),
    -- The work order the call belongs to (no foreign key until tickets exist).
    ticket_id TEXT,
    -- passed or failed (NULL: not checked), how, by whom, when.
    identity_check TEXT,
    identity_method TEXT,
    identity_checked_by TEXT REFERENCES users(id),
    identity_checked_at BIGINT,
    recording_sha256 TEXT REFERENCES blobs(sha256),
    -- First event received: orders the call log.
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX calls_external_id ON calls (external_id);
CREATE INDEX calls_started ON calls (started_at, id);
CREATE INDEX calls_agent_started ON calls (agent_id, started_at, id);
CREATE INDEX calls_customer_started ON calls (customer_id, started_at, id);
CREATE INDEX calls_queue_started ON calls (queue, started_at, id);
CREATE INDEX calls_state_started ON calls (state, started_at, id);
CREATE INDEX calls_ticket ON calls (ticket_id);
-- The screen pop polls for an agent's running calls, and for calls ringing in queues
-- (calls_state_started: few calls ring at once).
CREATE INDEX calls_active_agent ON calls (agent_id, started_at) WHERE state <> 'ended';

-- Every webhook event exactly as received, so nothing the CTI said is ever lost.
CREATE TABLE call_events (
    seq BIGSERIAL PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(id),
    kind TEXT NOT NULL,
    -- When the CTI says it happened, and when kefu received it.
    at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    -- The fields the merge reads (see kefu_domain::call::merge_events).
    caller TEXT,
    ivr_key TEXT,
    queue TEXT,
    agent_ref TEXT,
    duration_s BIGINT,
    hangup_side TEXT,
    -- The request body as sent.
    payload TEXT NOT NULL
);
CREATE INDEX call_events_call ON call_events (call_id, seq);
