-- Outbound campaigns (主动拨打, handbook document 2: 每人每天定时定量拨打未认证的用户):
-- campaigns with their agents, targets, calls, and the do-not-call flag on customers.
-- Keep this file and ../sqlite/0016_campaigns.sql equal in meaning. Depends only on the
-- foundation (customers, users), so it applies whether or not 0014/0015 are present.

-- 勿扰: the customer asked not to be called; excluded from every calling list.
ALTER TABLE customers ADD COLUMN do_not_call BIGINT NOT NULL DEFAULT 0;

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The script read to the customer, with {客户姓名} / {工号} / {坐席姓名} / {今天}.
    script TEXT NOT NULL DEFAULT '',
    -- draft | active | paused | finished
    status TEXT NOT NULL,
    -- The customer filter the targets come from when the campaign starts (JSON:
    -- tier, status, tag, owner_id); '{}' with imported lists only.
    filter TEXT,
    daily_quota BIGINT NOT NULL,
    -- Calling hours, minutes after local (China) midnight, [start, end).
    call_start BIGINT NOT NULL,
    call_end BIGINT NOT NULL,
    retry_hours BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    -- A refusal also sets the customer's do-not-call flag.
    refusal_do_not_call BIGINT NOT NULL DEFAULT 0,
    -- The customer status a conversion sets (e.g. verified); NULL changes nothing.
    convert_to_status TEXT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX campaigns_status ON campaigns (status, created_at);

CREATE TABLE campaign_agents (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (campaign_id, agent_id)
);
-- An agent's campaigns (the calling list).
CREATE INDEX campaign_agents_agent ON campaign_agents (agent_id, campaign_id);

-- One row per customer of a campaign. agent_id/list_day say on whose list it is today;
-- last_call_day when a call was last made.
CREATE TABLE campaign_targets (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    agent_id TEXT REFERENCES users(id),
    list_day TEXT,
    last_call_day TEXT,
    last_outcome TEXT,
    last_called_at BIGINT,
    converted_at BIGINT,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
);
-- An agent's list of the day (over all their campaigns).
CREATE INDEX campaign_targets_list ON campaign_targets (agent_id, list_day);
-- What is due next (list refills) and the progress counts by state.
CREATE INDEX campaign_targets_due ON campaign_targets (campaign_id, state, next_attempt_at);
-- Progress by outcome (reached, converted …).
CREATE INDEX campaign_targets_outcome ON campaign_targets (campaign_id, last_outcome);
-- A customer's campaigns (the customer page).
CREATE INDEX campaign_targets_customer ON campaign_targets (customer_id);

-- Every call, append-only.
CREATE TABLE campaign_calls (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    agent_id TEXT NOT NULL REFERENCES users(id),
    outcome TEXT NOT NULL,
    note TEXT,
    callback_at BIGINT,
    called_at BIGINT NOT NULL,
    call_day TEXT NOT NULL,
    FOREIGN KEY (campaign_id, customer_id)
        REFERENCES campaign_targets (campaign_id, customer_id) ON DELETE CASCADE
);
-- Calls of a day per agent (quota, per-agent numbers).
CREATE INDEX campaign_calls_day ON campaign_calls (campaign_id, call_day, agent_id);
-- A target's calls.
CREATE INDEX campaign_calls_target ON campaign_calls (campaign_id, customer_id, called_at);

-- 同一客户一天只被拨打一次: claimed in the call's transaction; the primary key makes a
-- second call on the same local day, from any campaign, fail.
CREATE TABLE customer_call_days (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    PRIMARY KEY (customer_id, day)
);
