-- Business calendars (工作日历), holidays and make-up days (调休), and SLA policies
-- (服务时限). Settings the admin edits at run time, so they live here and not in files.
-- Keep this file and ../sqlite/0005_calendars.sql equal in meaning.

-- A calendar's weekly hours: `week` is JSON, seven arrays (Monday first) of working
-- periods "HH:MM-HH:MM", several per day for split shifts. `working` (工作时间) keeps
-- the public holidays; `on_duty` (值班时间) usually runs through them.
CREATE TABLE calendars (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    week TEXT NOT NULL,
    observes_holidays BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO calendars (code, name, week, observes_holidays, updated_at) VALUES
    ('working', '工作时间',
     '[["09:00-12:00","13:30-18:00"],["09:00-12:00","13:30-18:00"],["09:00-12:00","13:30-18:00"],["09:00-12:00","13:30-18:00"],["09:00-12:00","13:30-18:00"],[],[]]',
     1, 0),
    ('on_duty', '值班时间',
     '[["08:00-22:00"],["08:00-22:00"],["08:00-22:00"],["08:00-22:00"],["08:00-22:00"],["08:00-22:00"],["08:00-22:00"]]',
     0, 0);

-- Dated exceptions shared by every calendar that observes holidays: `holiday` (放假)
-- or `workday` (调休上班, worked with the hours of weekday `as_weekday`, 0 = Monday).
-- Seeded with the 2026 notice and the provisional 2027 arrangement, the same lines as
-- crates/domain/data/holidays-cn-*.txt (a conformance test holds them equal).
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    as_weekday BIGINT,
    name TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
INSERT INTO calendar_days (day, kind, as_weekday, name, updated_at) VALUES
    ('2026-01-01', 'holiday', NULL, '元旦', 0),
    ('2026-01-02', 'holiday', NULL, '元旦', 0),
    ('2026-01-03', 'holiday', NULL, '元旦', 0),
    ('2026-01-04', 'workday', 0, '元旦', 0),
    ('2026-02-14', 'workday', 0, '春节', 0),
    ('2026-02-15', 'holiday', NULL, '春节', 0),
    ('2026-02-16', 'holiday', NULL, '春节', 0),
    ('2026-02-17', 'holiday', NULL, '春节', 0),
    ('2026-02-18', 'holiday', NULL, '春节', 0),
    ('2026-02-19', 'holiday', NULL, '春节', 0),
    ('2026-02-20', 'holiday', NULL, '春节', 0),
    ('2026-02-21', 'holiday', NULL, '春节', 0),
    ('2026-02-22', 'holiday', NULL, '春节', 0),
    ('2026-02-23', 'holiday', NULL, '春节', 0),
    ('2026-02-28', 'workday', 0, '春节', 0),
    ('2026-04-04', 'holiday', NULL, '清明节', 0),
    ('2026-04-05', 'holiday', NULL, '清明节', 0),
    ('2026-04-06', 'holiday', NULL, '清明节', 0),
    ('2026-05-01', 'holiday', NULL, '劳动节', 0),
    ('2026-05-02', 'holiday', NULL, '劳动节', 0),
    ('2026-05-03', 'holiday', NULL, '劳动节', 0),
    ('2026-05-04', 'holiday', NULL, '劳动节', 0),
    ('2026-05-05', 'holiday', NULL, '劳动节', 0),
    ('2026-05-09', 'workday', 0, '劳动节', 0),
    ('2026-06-19', 'holiday', NULL, '端午节', 0),
    ('2026-06-20', 'holiday', NULL, '端午节', 0),
    ('2026-06-21', 'holiday', NULL, '端午节', 0),
    ('2026-09-20', 'workday', 0, '国庆节', 0),
    ('2026-09-25', 'holiday', NULL, '中秋节', 0),
    ('2026-09-26', 'holiday', NULL, '中秋节', 0),
    ('2026-09-27', 'holiday', NULL, '中秋节', 0),
    ('2026-10-01', 'holiday', NULL, '国庆节', 0),
    ('2026-10-02', 'holiday', NULL, '国庆节', 0),
    ('2026-10-03', 'holiday', NULL, '国庆节', 0),
    ('2026-10-04', 'holiday', NULL, '国庆节', 0),
    ('2026-10-05', 'holiday', NULL, '国庆节', 0),
    ('2026-10-06', 'holiday', NULL, '国庆节', 0),
    ('2026-10-07', 'holiday', NULL, '国庆节', 0),
    ('2026-10-10', 'workday', 0, '国庆节', 0),
    ('2027-01-01', 'holiday', NULL, '元旦', 0),
    ('2027-01-02', 'holiday', NULL, '元旦', 0),
    ('2027-01-03', 'holiday', NULL, '元旦', 0),
    ('2027-01-31', 'workday', 0, '春节', 0),
    ('2027-02-05', 'holiday', NULL, '春节', 0),
    ('2027-02-06', 'holiday', NULL, '春节', 0),
    ('2027-02-07', 'holiday', NULL, '春节', 0),
    ('2027-02-08', 'holiday', NULL, '春节', 0),
    ('2027-02-09', 'holiday', NULL, '春节', 0),
    ('2027-02-10', 'holiday', NULL, '春节', 0),
    ('2027-02-11', 'holiday', NULL, '春节', 0),
    ('2027-02-12', 'holiday', NULL, '春节', 0),
    ('2027-02-13', 'holiday', NULL, '春节', 0),
    ('2027-02-14', 'workday', 0, '春节', 0),
    ('2027-04-03', 'holiday', NULL, '清明节', 0),
    ('2027-04-04', 'holiday', NULL, '清明节', 0),
    ('2027-04-05', 'holiday', NULL, '清明节', 0),
    ('2027-05-01', 'holiday', NULL, '劳动节', 0),
    ('2027-05-02', 'holiday', NULL, '劳动节', 0),
    ('2027-05-03', 'holiday', NULL, '劳动节', 0),
    ('2027-05-04', 'holiday', NULL, '劳动节', 0),
    ('2027-05-05', 'holiday', NULL, '劳动节', 0),
    ('2027-05-08', 'workday', 0, '劳动节', 0),
    ('2027-06-09', 'holiday', NULL, '端午节', 0),
    ('2027-09-15', 'holiday', NULL, '中秋节', 0),
    ('2027-09-26', 'workday', 0, '国庆节', 0),
    ('2027-10-01', 'holiday', NULL, '国庆节', 0),
    ('2027-10-02', 'holiday', NULL, '国庆节', 0),
    ('2027-10-03', 'holiday', NULL, '国庆节', 0),
    ('2027-10-04', 'holiday', NULL, '国庆节', 0),
    ('2027-10-05', 'holiday', NULL, '国庆节', 0),
    ('2027-10-06', 'holiday', NULL, '国庆节', 0),
    ('2027-10-07', 'holiday', NULL, '国庆节', 0),
    ('2027-10-09', 'workday', 0, '国庆节', 0);

-- Which targets a work order gets. NULL criteria match anything; the most specific
-- active policy wins (kefu_domain::sla::match_policy). Targets are minutes of time on
-- `calendar` (24x7, working or on_duty); `pause_statuses` is a JSON array of statuses
-- in which the clocks stop.
CREATE TABLE sla_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    ticket_type TEXT,
    priority TEXT,
    tier TEXT REFERENCES customer_tiers(code),
    calendar TEXT NOT NULL,
    first_response_minutes BIGINT NOT NULL,
    reply_promise_minutes BIGINT NOT NULL DEFAULT 2880,
    resolution_minutes BIGINT NOT NULL,
    pause_statuses TEXT NOT NULL DEFAULT '["waiting_customer"]',
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sla_policies_active ON sla_policies (active, id);
-- The catch-all every kefu keeps (the store refuses to remove the last one): the
-- handbook's 48-hour reply on working hours.
INSERT INTO sla_policies (id, name, ticket_type, priority, tier, calendar,
    first_response_minutes, reply_promise_minutes, resolution_minutes, pause_statuses,
    active, created_at, updated_at) VALUES
    ('00000000000000000000000000000000', '默认', NULL, NULL, NULL, 'working', 60, 2880,
     4320, '["waiting_customer"]', 1, 0, 0);
