-- Daily report rollups (issue 9: a month's report over ten million tickets in a second).
-- Keep this file and ../postgres/0035_report_rollups.sql equal in meaning.
--
-- A report read every ticket, event, call … of its range: 13.6 s for a month at ten
-- million tickets. Now the scheduler keeps, for every past local day, each metric's
-- tallies (`store::reports::rollups`) cut five ways: the whole center, and by department,
-- agent, channel and type one at a time. A report whose filters and grouping name at most
-- one of those reads the rollups of its clean days and the records of the rest (today, a
-- day changed since it was rolled up, a day not rolled up yet).
--
-- Correct under concurrent writes: triggers note the UTC hour of every moment a changed
-- record is counted at (old and new), whoever changed it. A day with a noted hour is read
-- from its records until the scheduler has rolled it up again; the scheduler removes only
-- the notes it has read before reading the records.

-- The hours (epoch ms / 3,600,000) whose records changed. Not deduplicated: a writer
-- only appends, the scheduler deletes the notes it has handled (ids up to the highest it
-- read).
CREATE TABLE report_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hour BIGINT NOT NULL
);
CREATE INDEX report_changes_hour ON report_changes (hour);

-- One metric's tally on one local day (days since 1970-01-01 in the center's time) for
-- one cut: dim is all, department, agent, channel or type; value is the department,
-- agent … ('' for records without one; '' for all). seconds: the working times of a
-- median or P90 metric, sorted and delta-encoded (kefu_domain::report::encode_seconds).
CREATE TABLE report_rollups (
    metric TEXT NOT NULL,
    dim TEXT NOT NULL,
    day BIGINT NOT NULL,
    value TEXT NOT NULL,
    n BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    total BIGINT NOT NULL,
    promoters BIGINT NOT NULL,
    detractors BIGINT NOT NULL,
    seconds BLOB,
    PRIMARY KEY (metric, dim, day, value)
) WITHOUT ROWID;

-- The days rolled up, each whole in one transaction.
CREATE TABLE report_rollup_days (
    day BIGINT PRIMARY KEY,
    made_at BIGINT NOT NULL
);

-- What the rollups were made with: the center's offset from UTC (which local day a
-- moment falls on) and the working calendar's fingerprint (the working times). A change
-- of either empties the rollups. lease_*: the one server that maintains them for now.
CREATE TABLE report_rollup_stamp (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    day_offset BIGINT NOT NULL,
    calendar TEXT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);

-- Tickets: opened (with the overdue flag), first responded and resolved.
CREATE TRIGGER report_changes_ticket_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT NEW.created_at / 3600000 AS h
        UNION SELECT NEW.first_responded_at / 3600000 UNION SELECT NEW.resolved_at / 3600000)
    WHERE h IS NOT NULL;
END;
CREATE TRIGGER report_changes_ticket_update
AFTER UPDATE OF created_at, first_responded_at, resolved_at, overdue_count,
    first_response_due, resolution_due, department_id, first_owner_id, assignee_id, channel,
    ticket_type ON tickets
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.first_responded_at IS NOT NEW.first_responded_at
    OR OLD.resolved_at IS NOT NEW.resolved_at OR OLD.overdue_count IS NOT NEW.overdue_count
    OR OLD.first_response_due IS NOT NEW.first_response_due
    OR OLD.resolution_due IS NOT NEW.resolution_due
    OR OLD.department_id IS NOT NEW.department_id OR OLD.first_owner_id IS NOT NEW.first_owner_id
    OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.channel IS NOT NEW.channel
    OR OLD.ticket_type IS NOT NEW.ticket_type
BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.created_at / 3600000 AS h UNION SELECT NEW.created_at / 3600000
        UNION SELECT OLD.first_responded_at / 3600000
        UNION SELECT NEW.first_responded_at / 3600000
        UNION SELECT OLD.resolved_at / 3600000 UNION SELECT NEW.resolved_at / 3600000)
    WHERE h IS NOT NULL;
END;
CREATE TRIGGER report_changes_ticket_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.created_at / 3600000 AS h
        UNION SELECT OLD.first_responded_at / 3600000 UNION SELECT OLD.resolved_at / 3600000)
    WHERE h IS NOT NULL;
END;
-- The records counted with their ticket's department, assignee, channel or type.
CREATE TRIGGER report_changes_ticket_related
AFTER UPDATE OF department_id, assignee_id, channel, ticket_type ON tickets
WHEN OLD.department_id IS NOT NEW.department_id OR OLD.assignee_id IS NOT NEW.assignee_id
    OR OLD.channel IS NOT NEW.channel OR OLD.ticket_type IS NOT NEW.ticket_type
BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (
        SELECT at / 3600000 AS h FROM ticket_events WHERE ticket_id = NEW.id
        UNION SELECT created_at / 3600000 FROM complaints WHERE ticket_id = NEW.id
        UNION SELECT due_at / 3600000 FROM callback_tasks WHERE ticket_id = NEW.id
        UNION SELECT a.at / 3600000 FROM callback_attempts a
            JOIN callback_tasks b ON b.id = a.task_id WHERE b.ticket_id = NEW.id
        UNION SELECT created_at / 3600000 FROM survey_responses WHERE ticket_id = NEW.id
        UNION SELECT started_at / 3600000 FROM calls WHERE ticket_id = NEW.id
        UNION SELECT created_at / 3600000 FROM chat_conversations WHERE ticket_id = NEW.id)
    WHERE h IS NOT NULL;
END;

-- Every other source: its one moment, old and new.
CREATE TRIGGER report_changes_event_insert AFTER INSERT ON ticket_events BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.at / 3600000);
END;
CREATE TRIGGER report_changes_event_update AFTER UPDATE ON ticket_events BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.at / 3600000 AS h UNION SELECT NEW.at / 3600000);
END;
CREATE TRIGGER report_changes_event_delete AFTER DELETE ON ticket_events BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.at / 3600000);
END;

CREATE TRIGGER report_changes_call_insert AFTER INSERT ON calls BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.started_at / 3600000);
END;
CREATE TRIGGER report_changes_call_update AFTER UPDATE ON calls BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.started_at / 3600000 AS h UNION SELECT NEW.started_at / 3600000);
END;
CREATE TRIGGER report_changes_call_delete AFTER DELETE ON calls BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.started_at / 3600000);
END;

CREATE TRIGGER report_changes_chat_insert AFTER INSERT ON chat_conversations BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.created_at / 3600000);
END;
CREATE TRIGGER report_changes_chat_update
AFTER UPDATE OF created_at, agent_id, ticket_id ON chat_conversations
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.agent_id IS NOT NEW.agent_id
    OR OLD.ticket_id IS NOT NEW.ticket_id
BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.created_at / 3600000 AS h UNION SELECT NEW.created_at / 3600000);
END;
CREATE TRIGGER report_changes_chat_delete AFTER DELETE ON chat_conversations BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.created_at / 3600000);
END;

CREATE TRIGGER report_changes_campaign_call_insert AFTER INSERT ON campaign_calls BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.called_at / 3600000);
END;
CREATE TRIGGER report_changes_campaign_call_update AFTER UPDATE ON campaign_calls BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.called_at / 3600000 AS h UNION SELECT NEW.called_at / 3600000);
END;
CREATE TRIGGER report_changes_campaign_call_delete AFTER DELETE ON campaign_calls BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.called_at / 3600000);
END;

CREATE TRIGGER report_changes_target_insert AFTER INSERT ON campaign_targets
WHEN NEW.converted_at IS NOT NULL
BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.converted_at / 3600000);
END;
CREATE TRIGGER report_changes_target_update
AFTER UPDATE OF converted_at, agent_id ON campaign_targets
WHEN OLD.converted_at IS NOT NEW.converted_at OR OLD.agent_id IS NOT NEW.agent_id
BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.converted_at / 3600000 AS h UNION SELECT NEW.converted_at / 3600000)
    WHERE h IS NOT NULL;
END;
CREATE TRIGGER report_changes_target_delete AFTER DELETE ON campaign_targets
WHEN OLD.converted_at IS NOT NULL
BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.converted_at / 3600000);
END;

CREATE TRIGGER report_changes_complaint_insert AFTER INSERT ON complaints BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.created_at / 3600000);
END;
CREATE TRIGGER report_changes_complaint_update AFTER UPDATE ON complaints BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.created_at / 3600000 AS h UNION SELECT NEW.created_at / 3600000);
END;
CREATE TRIGGER report_changes_complaint_delete AFTER DELETE ON complaints BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.created_at / 3600000);
END;

-- A callback task: planned on its due day; its attempts are counted with its ticket.
CREATE TRIGGER report_changes_callback_insert AFTER INSERT ON callback_tasks BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.due_at / 3600000);
END;
CREATE TRIGGER report_changes_callback_update AFTER UPDATE ON callback_tasks BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.due_at / 3600000 AS h UNION SELECT NEW.due_at / 3600000
        UNION SELECT at / 3600000 FROM callback_attempts
            WHERE task_id = NEW.id AND OLD.ticket_id IS NOT NEW.ticket_id);
END;
CREATE TRIGGER report_changes_callback_delete AFTER DELETE ON callback_tasks BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.due_at / 3600000);
END;

CREATE TRIGGER report_changes_attempt_insert AFTER INSERT ON callback_attempts BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.at / 3600000);
END;
CREATE TRIGGER report_changes_attempt_update AFTER UPDATE ON callback_attempts BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.at / 3600000 AS h UNION SELECT NEW.at / 3600000);
END;
CREATE TRIGGER report_changes_attempt_delete AFTER DELETE ON callback_attempts BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.at / 3600000);
END;

CREATE TRIGGER report_changes_survey_insert AFTER INSERT ON survey_responses BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.created_at / 3600000);
END;
CREATE TRIGGER report_changes_survey_update AFTER UPDATE ON survey_responses BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.created_at / 3600000 AS h UNION SELECT NEW.created_at / 3600000);
END;
CREATE TRIGGER report_changes_survey_delete AFTER DELETE ON survey_responses BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.created_at / 3600000);
END;

CREATE TRIGGER report_changes_inspection_insert AFTER INSERT ON qa_inspections
WHEN NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO report_changes (hour) VALUES (NEW.published_at / 3600000);
END;
CREATE TRIGGER report_changes_inspection_update
AFTER UPDATE OF published_at, state, total_tenths, agent_id ON qa_inspections
BEGIN
    INSERT INTO report_changes (hour)
    SELECT h FROM (SELECT OLD.published_at / 3600000 AS h
        UNION SELECT NEW.published_at / 3600000)
    WHERE h IS NOT NULL;
END;
CREATE TRIGGER report_changes_inspection_delete AFTER DELETE ON qa_inspections
WHEN OLD.published_at IS NOT NULL
BEGIN
    INSERT INTO report_changes (hour) VALUES (OLD.published_at / 3600000);
END;
