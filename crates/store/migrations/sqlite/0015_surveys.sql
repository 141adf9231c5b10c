-- Satisfaction surveys (满意度调查): templates, the dissatisfied thresholds, the signing
-- secret of survey links, invitations (one signed link each), the outbox of messages a
-- gateway will deliver, and the answers. Keep this file and ../postgres/0015_surveys.sql
-- equal in meaning.

-- A template's questions are JSON (kind, text, options, required; ids q1, q2, …). Once a
-- template has answers its questions no longer change (name and active still may).
CREATE TABLE survey_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    questions TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX survey_templates_name ON survey_templates (name);

-- One row (id 1): when an answer is dissatisfied (NULL: that score never is) and how many
-- days a link stays valid.
CREATE TABLE survey_settings (
    id BIGINT PRIMARY KEY,
    csat_max BIGINT,
    nps_max BIGINT,
    link_days BIGINT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
INSERT INTO survey_settings (id, csat_max, nps_max, link_days, updated_by, updated_at)
    VALUES (1, 2, 6, 7, NULL, 0);

-- The HMAC key of survey links (id 1), made randomly by the first server that needs it,
-- so that every server sharing the database signs and checks alike. Never logged.
CREATE TABLE survey_link_keys (
    id BIGINT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A survey sent to a customer (by SMS or e-mail, as a link), optionally about a ticket.
-- `answered_at` is set in the transaction that stores the answer.
CREATE TABLE survey_invitations (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL REFERENCES survey_templates(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    ticket_id TEXT REFERENCES tickets(id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX survey_invitations_customer ON survey_invitations (customer_id, created_at);

-- Messages waiting for a gateway (there is no SMS or e-mail gateway yet): the rendered
-- Chinese text with the link. status: queued, sent, failed.
CREATE TABLE survey_outbox (
    id TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL REFERENCES survey_invitations(id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX survey_outbox_status ON survey_outbox (status, created_at);

-- The answers. A link's answer names its invitation; an agent's answer (during a
-- callback) names the agent and, when there is one, the callback (no foreign key: the
-- callbacks module keeps its own table). The unique indexes make "one answer per link"
-- and "one answer per callback and template" hold under concurrency (NULLs never
-- collide), and a follow-up ticket belongs to one answer.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY,
    invitation_id TEXT REFERENCES survey_invitations(id),
    template_id TEXT NOT NULL REFERENCES survey_templates(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    ticket_id TEXT REFERENCES tickets(id),
    callback_id TEXT,
    answered_by TEXT REFERENCES users(id),
    channel TEXT NOT NULL,
    answers TEXT NOT NULL,
    csat BIGINT,
    nps BIGINT,
    dissatisfied BIGINT NOT NULL,
    followup_ticket_id TEXT REFERENCES tickets(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX survey_responses_invitation ON survey_responses (invitation_id);
CREATE UNIQUE INDEX survey_responses_callback ON survey_responses (callback_id, template_id);
CREATE UNIQUE INDEX survey_responses_followup ON survey_responses (followup_ticket_id);
-- The results page: newest first, by template, dissatisfied only; a customer's answers.
CREATE INDEX survey_responses_created ON survey_responses (created_at, id);
CREATE INDEX survey_responses_template ON survey_responses (template_id, created_at, id);
CREATE INDEX survey_responses_dissatisfied ON survey_responses (dissatisfied, created_at, id);
CREATE INDEX survey_responses_customer ON survey_responses (customer_id, created_at);
