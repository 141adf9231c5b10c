-- Foundation: organization, staff and log-in, customers, audit, imports.
-- Timestamps are BIGINT milliseconds since the Unix epoch (UTC) on both backends;
-- ids are opaque TEXT. Keep this file and ../sqlite/0001_foundation.sql equal in meaning.

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES departments(id),
    name TEXT NOT NULL,
    description TEXT,
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX departments_parent_name ON departments (COALESCE(parent_id, ''), name);

CREATE TABLE positions (
    id TEXT PRIMARY KEY,
    department_id TEXT NOT NULL REFERENCES departments(id),
    title TEXT NOT NULL,
    duties TEXT NOT NULL DEFAULT '[]',
    qualifications TEXT NOT NULL DEFAULT '{}',
    headcount_limit BIGINT,
    permissions TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX positions_department_title ON positions (department_id, title);

-- 兼任 rules: pairs of positions one person may not hold together; stored with a < b.
CREATE TABLE position_exclusions (
    position_a TEXT NOT NULL REFERENCES positions(id) ON DELETE CASCADE,
    position_b TEXT NOT NULL REFERENCES positions(id) ON DELETE CASCADE,
    PRIMARY KEY (position_a, position_b)
);
CREATE INDEX position_exclusions_b ON position_exclusions (position_b);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    agent_no TEXT,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    education TEXT,
    years_experience BIGINT NOT NULL DEFAULT 0,
    certificates TEXT NOT NULL DEFAULT '[]',
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE UNIQUE INDEX users_agent_no ON users (agent_no);

CREATE TABLE staff_positions (
    user_id TEXT NOT NULL REFERENCES users(id),
    position_id TEXT NOT NULL REFERENCES positions(id),
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, position_id)
);
CREATE INDEX staff_positions_position ON staff_positions (position_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    client_addr TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_created ON sessions (created_at);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

CREATE TABLE customer_tiers (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sort_order BIGINT NOT NULL
);
INSERT INTO customer_tiers (code, name, sort_order) VALUES
    ('VIP', 'VIP', 0), ('A', 'A', 1), ('B', 'B', 2), ('C', 'C', 3);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    company TEXT,
    gender TEXT NOT NULL DEFAULT 'unknown',
    tier TEXT NOT NULL REFERENCES customer_tiers(code),
    status TEXT NOT NULL,
    owner_id TEXT REFERENCES users(id),
    id_number TEXT,
    address TEXT,
    notes TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_tier ON customers (tier, id);
CREATE INDEX customers_status ON customers (status, id);
CREATE INDEX customers_owner ON customers (owner_id, id);

-- value is normalized; value_rev is value reversed, so "last four digits" is an
-- indexed prefix range instead of a scan.
CREATE TABLE customer_contacts (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    value_rev TEXT NOT NULL,
    label TEXT,
    position BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX customer_contacts_customer ON customer_contacts (customer_id, position);
CREATE INDEX customer_contacts_value ON customer_contacts (value);
CREATE INDEX customer_contacts_value_rev ON customer_contacts (value_rev);
CREATE UNIQUE INDEX customer_contacts_mobile_unique ON customer_contacts (value) WHERE kind = 'mobile';

CREATE TABLE customer_tags (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

-- The customer's timeline; later capabilities (tickets, callbacks …) append to it.
CREATE TABLE customer_events (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX customer_events_customer ON customer_events (customer_id, at);

CREATE TABLE audit_log (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT,
    subject_ids TEXT,
    detail TEXT,
    client_addr TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- The audit trail is append-only: the database itself refuses changes.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Which records an audit entry is about, for "who looked at this customer?".
CREATE TABLE audit_subjects (
    seq BIGINT NOT NULL REFERENCES audit_log(seq),
    subject_id TEXT NOT NULL,
    PRIMARY KEY (subject_id, seq)
);

CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    filename TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    status TEXT NOT NULL,
    total_rows BIGINT NOT NULL DEFAULT 0,
    valid_rows BIGINT NOT NULL DEFAULT 0,
    rejected_rows BIGINT NOT NULL DEFAULT 0,
    committed_at BIGINT,
    error TEXT
);
CREATE INDEX import_jobs_created ON import_jobs (created_at);
