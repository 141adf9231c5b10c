-- Agent performance evaluation (绩效考核) and commission (提成), issue 9 item 6. Keep this
-- file and ../postgres/0033_performance.sql equal in meaning.

-- The center's one current scheme (id is always 1): weights, pass line, deduction per
-- complaint, workload target and the positions whose holders are evaluated, as JSON
-- (kefu_domain::performance::Scheme plus "positions"); and who changed it last.
CREATE TABLE performance_scheme (
    id BIGINT PRIMARY KEY,
    scheme TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);

-- Rewards and fines (奖罚) rules, in the order the manager keeps them. amount in cents.
CREATE TABLE performance_rules (
    id TEXT PRIMARY KEY,
    sort_order BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule_condition TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);

-- Commission rate (提成点) per position, in basis points (100 = 1%).
CREATE TABLE commission_rates (
    position_id TEXT PRIMARY KEY REFERENCES positions(id) ON DELETE CASCADE,
    rate_bp BIGINT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);

-- Recorded commission calculations: the amounts and the rate as they were, so a later
-- change of rate leaves them as paid.
CREATE TABLE commissions (
    id TEXT PRIMARY KEY,
    contract_no TEXT NOT NULL,
    deal_name TEXT NOT NULL,
    agent_id TEXT NOT NULL REFERENCES users(id),
    position_id TEXT NOT NULL REFERENCES positions(id),
    contract_cents BIGINT NOT NULL,
    rent_cents BIGINT NOT NULL,
    tax_cents BIGINT NOT NULL,
    rate_bp BIGINT NOT NULL,
    commission_cents BIGINT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at BIGINT NOT NULL
);
-- The list, newest first, and one agent's.
CREATE INDEX commissions_recorded ON commissions (recorded_at, id);
CREATE INDEX commissions_agent ON commissions (agent_id, recorded_at, id);

-- What the manager records against an agent for a month: a complaint against them
-- (complaint) or a violation of the rules (violation, 违规).
CREATE TABLE performance_incidents (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES users(id),
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX performance_incidents_month ON performance_incidents (month, agent_id, recorded_at);

-- A finished month's evaluation, kept once computed so later changes of the scheme or the
-- rules do not rewrite it; a recompute replaces it explicitly. scheme and rules are the
-- JSON they were computed with.
CREATE TABLE performance_months (
    month TEXT PRIMARY KEY,
    scheme TEXT NOT NULL,
    rules TEXT NOT NULL,
    computed_by TEXT REFERENCES users(id),
    computed_at BIGINT NOT NULL
);
-- One row per agent: rank, total (hundredths of a point), money (cents), and the whole
-- breakdown as JSON (kefu_domain::performance::Evaluation).
CREATE TABLE performance_results (
    month TEXT NOT NULL REFERENCES performance_months(month) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES users(id),
    rank BIGINT NOT NULL,
    total BIGINT NOT NULL,
    reward_cents BIGINT NOT NULL,
    fine_cents BIGINT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (month, agent_id)
);
CREATE INDEX performance_results_rank ON performance_results (month, rank, agent_id);

-- Attendance reads a month's published shifts by day.
CREATE INDEX roster_shifts_day ON roster_shifts (day, staff_id);
