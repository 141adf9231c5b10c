-- Logs (日志): an agent's work log per day and the shift lead's duty log per shift.
-- Keep this file and ../sqlite/0007_work_logs.sql equal in meaning.

-- 工作日志: one per person and local day ('YYYY-MM-DD'); the day's handled tickets are
-- read from ticket_events when the log is shown, only the free text is stored.
CREATE TABLE work_logs (
    user_id TEXT NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX work_logs_day ON work_logs (day, user_id);

-- 值班日志: one per local day and shift (a 09–17, b 12–20, c 20–22 on call), kept by the
-- shift lead: who was on duty (staffing), incidents, and what is handed over to the next
-- shift.
CREATE TABLE duty_logs (
    day TEXT NOT NULL,
    shift TEXT NOT NULL,
    lead_id TEXT NOT NULL REFERENCES users(id),
    staffing TEXT NOT NULL DEFAULT '',
    incidents TEXT NOT NULL DEFAULT '',
    handover TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (day, shift)
);
