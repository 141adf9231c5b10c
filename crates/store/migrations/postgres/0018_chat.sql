-- Web chat (在线客服): topics (the queues a visitor picks, with the skills an agent needs,
-- the routing rule and the hours the chat is staffed), agents' chat availability and
-- capacity, conversations with their append-only messages, and transfers. Keep this file
-- and ../sqlite/0018_chat.sql equal in meaning.

-- A topic: `skills` is a comma-separated list an agent must all hold to take its chats;
-- `routing` is round_robin or least_busy; `hours` is a calendar code (24x7, working,
-- on_duty): outside them the widget becomes a message form that opens a ticket in
-- `department_id` (and so do chats converted to tickets).
CREATE TABLE chat_topics (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    skills TEXT NOT NULL DEFAULT '',
    routing TEXT NOT NULL,
    hours TEXT NOT NULL,
    department_id TEXT REFERENCES departments(id),
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX chat_topics_code ON chat_topics (code);
INSERT INTO chat_topics (id, code, name, skills, routing, hours, department_id, active,
    created_at, updated_at)
    VALUES ('topic-general', 'general', '在线咨询', '', 'least_busy', 'on_duty', NULL, 1, 0, 0);

-- An agent's chat desk: whether they take chats now, how many at once, their skills
-- (comma-separated) and when they last got one (round-robin's order).
CREATE TABLE chat_agents (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    available BIGINT NOT NULL DEFAULT 0,
    capacity BIGINT NOT NULL DEFAULT 3,
    skills TEXT NOT NULL DEFAULT '',
    last_assigned_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chat_agents_available ON chat_agents (available, user_id);

-- The row routing locks, so two servers never route at once (PostgreSQL; SQLite has
-- one writer anyway).
CREATE TABLE chat_routing (
    id TEXT PRIMARY KEY,
    routed_at BIGINT NOT NULL
);
INSERT INTO chat_routing (id, routed_at) VALUES ('default', 0);

-- A conversation: queued → active (an agent) → closed. `token_hash` is the SHA-256 of
-- the visitor's short-lived token (the token itself is never stored); `last_seq` is the
-- last message's sequence number; `passed_by` is the agent who transferred it back to
-- a queue (routing gives it to someone else).
CREATE TABLE chat_conversations (
    id TEXT PRIMARY KEY,
    topic_id TEXT NOT NULL REFERENCES chat_topics(id),
    state TEXT NOT NULL,
    visitor_name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    token_expires_at BIGINT NOT NULL,
    customer_id TEXT REFERENCES customers(id),
    agent_id TEXT REFERENCES users(id),
    ticket_id TEXT REFERENCES tickets(id),
    passed_by TEXT REFERENCES users(id),
    last_seq BIGINT NOT NULL DEFAULT 0,
    queued_at BIGINT NOT NULL,
    assigned_at BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX chat_conversations_token ON chat_conversations (token_hash);
CREATE INDEX chat_conversations_queue ON chat_conversations (state, topic_id, queued_at, id);
CREATE INDEX chat_conversations_agent ON chat_conversations (agent_id, state, id);
CREATE INDEX chat_conversations_created ON chat_conversations (created_at, id);

-- Messages, append-only, numbered 1, 2, 3 … within their conversation. `client_id` is
-- the sender's own id for the message, so a resend after a reconnect is not stored twice.
CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES chat_conversations(id),
    seq BIGINT NOT NULL,
    sender TEXT NOT NULL,
    author_id TEXT REFERENCES users(id),
    body TEXT NOT NULL,
    client_id TEXT,
    at BIGINT NOT NULL
);
CREATE UNIQUE INDEX chat_messages_seq ON chat_messages (conversation_id, seq);
CREATE UNIQUE INDEX chat_messages_client ON chat_messages (conversation_id, client_id);

-- Transfers: to another agent, or back to a topic's queue (a group).
CREATE TABLE chat_transfers (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES chat_conversations(id),
    from_agent_id TEXT REFERENCES users(id),
    to_agent_id TEXT REFERENCES users(id),
    to_topic_id TEXT REFERENCES chat_topics(id),
    by_id TEXT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX chat_transfers_conversation ON chat_transfers (conversation_id, at);
