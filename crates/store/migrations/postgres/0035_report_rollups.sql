-- Daily report rollups (issue 9: a month's report over ten million tickets in a second).
-- Keep this file and ../sqlite/0035_report_rollups.sql equal in meaning.
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
-- the notes it has read before reading the records (it waits for the writers that are
-- noting, see `store::reports::rollups`).

-- The hours (epoch ms / 3,600,000) whose records changed. Not deduplicated: a writer
-- only appends, the scheduler deletes the notes it has handled.
CREATE TABLE report_changes (
    id BIGSERIAL PRIMARY KEY,
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
    seconds BYTEA,
    PRIMARY KEY (metric, dim, day, value)
);

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

-- Notes the hours of the row's moment columns named in TG_ARGV, old and new.
CREATE FUNCTION report_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col TEXT;
    hours BIGINT[] := '{}';
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF TG_OP <> 'INSERT' THEN
            hours := hours || ((to_jsonb(OLD) ->> col)::BIGINT / 3600000);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            hours := hours || ((to_jsonb(NEW) ->> col)::BIGINT / 3600000);
        END IF;
    END LOOP;
    INSERT INTO report_changes (hour)
    SELECT DISTINCT h FROM unnest(hours) AS h WHERE h IS NOT NULL;
    RETURN NULL;
END $$;

-- The records counted with a ticket's department, assignee, channel or type.
CREATE FUNCTION report_note_ticket_related() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (hour)
    SELECT DISTINCT h FROM (
        SELECT at / 3600000 AS h FROM ticket_events WHERE ticket_id = NEW.id
        UNION SELECT created_at / 3600000 FROM complaints WHERE ticket_id = NEW.id
        UNION SELECT due_at / 3600000 FROM callback_tasks WHERE ticket_id = NEW.id
        UNION SELECT a.at / 3600000 FROM callback_attempts a
            JOIN callback_tasks b ON b.id = a.task_id WHERE b.ticket_id = NEW.id
        UNION SELECT created_at / 3600000 FROM survey_responses WHERE ticket_id = NEW.id
        UNION SELECT started_at / 3600000 FROM calls WHERE ticket_id = NEW.id
        UNION SELECT created_at / 3600000 FROM chat_conversations WHERE ticket_id = NEW.id) x
    WHERE h IS NOT NULL;
    RETURN NULL;
END $$;

-- A callback task's attempts are counted with its ticket.
CREATE FUNCTION report_note_callback_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (hour)
    SELECT DISTINCT at / 3600000 FROM callback_attempts WHERE task_id = NEW.id;
    RETURN NULL;
END $$;

-- Tickets: opened (with the overdue flag), first responded and resolved.
CREATE TRIGGER report_changes_ticket_insert AFTER INSERT OR DELETE ON tickets
FOR EACH ROW EXECUTE FUNCTION report_note('created_at', 'first_responded_at', 'resolved_at');
CREATE TRIGGER report_changes_ticket_update
AFTER UPDATE OF created_at, first_responded_at, resolved_at, overdue_count,
    first_response_due, resolution_due, department_id, first_owner_id, assignee_id, channel,
    ticket_type ON tickets
FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.first_responded_at IS DISTINCT FROM NEW.first_responded_at
    OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
    OR OLD.overdue_count IS DISTINCT FROM NEW.overdue_count
    OR OLD.first_response_due IS DISTINCT FROM NEW.first_response_due
    OR OLD.resolution_due IS DISTINCT FROM NEW.resolution_due
    OR OLD.department_id IS DISTINCT FROM NEW.department_id
    OR OLD.first_owner_id IS DISTINCT FROM NEW.first_owner_id
    OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
    OR OLD.channel IS DISTINCT FROM NEW.channel
    OR OLD.ticket_type IS DISTINCT FROM NEW.ticket_type)
EXECUTE FUNCTION report_note('created_at', 'first_responded_at', 'resolved_at');
CREATE TRIGGER report_changes_ticket_related
AFTER UPDATE OF department_id, assignee_id, channel, ticket_type ON tickets
FOR EACH ROW WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id
    OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
    OR OLD.channel IS DISTINCT FROM NEW.channel
    OR OLD.ticket_type IS DISTINCT FROM NEW.ticket_type)
EXECUTE FUNCTION report_note_ticket_related();

-- Every other source: its one moment, old and new.
CREATE TRIGGER report_changes_event AFTER INSERT OR UPDATE OR DELETE ON ticket_events
FOR EACH ROW EXECUTE FUNCTION report_note('at');
CREATE TRIGGER report_changes_call AFTER INSERT OR UPDATE OR DELETE ON calls
FOR EACH ROW EXECUTE FUNCTION report_note('started_at');
CREATE TRIGGER report_changes_chat AFTER INSERT OR DELETE ON chat_conversations
FOR EACH ROW EXECUTE FUNCTION report_note('created_at');
CREATE TRIGGER report_changes_chat_update
AFTER UPDATE OF created_at, agent_id, ticket_id ON chat_conversations
FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.agent_id IS DISTINCT FROM NEW.agent_id OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id)
EXECUTE FUNCTION report_note('created_at');
CREATE TRIGGER report_changes_campaign_call AFTER INSERT OR UPDATE OR DELETE ON campaign_calls
FOR EACH ROW EXECUTE FUNCTION report_note('called_at');
CREATE TRIGGER report_changes_target AFTER INSERT OR DELETE ON campaign_targets
FOR EACH ROW EXECUTE FUNCTION report_note('converted_at');
CREATE TRIGGER report_changes_target_update AFTER UPDATE OF converted_at, agent_id ON campaign_targets
FOR EACH ROW WHEN (OLD.converted_at IS DISTINCT FROM NEW.converted_at
    OR OLD.agent_id IS DISTINCT FROM NEW.agent_id)
EXECUTE FUNCTION report_note('converted_at');
CREATE TRIGGER report_changes_complaint AFTER INSERT OR UPDATE OR DELETE ON complaints
FOR EACH ROW EXECUTE FUNCTION report_note('created_at');
CREATE TRIGGER report_changes_callback AFTER INSERT OR UPDATE OR DELETE ON callback_tasks
FOR EACH ROW EXECUTE FUNCTION report_note('due_at');
CREATE TRIGGER report_changes_callback_ticket AFTER UPDATE OF ticket_id ON callback_tasks
FOR EACH ROW WHEN (OLD.ticket_id IS DISTINCT FROM NEW.ticket_id)
EXECUTE FUNCTION report_note_callback_attempts();
CREATE TRIGGER report_changes_attempt AFTER INSERT OR UPDATE OR DELETE ON callback_attempts
FOR EACH ROW EXECUTE FUNCTION report_note('at');
CREATE TRIGGER report_changes_survey AFTER INSERT OR UPDATE OR DELETE ON survey_responses
FOR EACH ROW EXECUTE FUNCTION report_note('created_at');
CREATE TRIGGER report_changes_inspection AFTER INSERT OR DELETE ON qa_inspections
FOR EACH ROW EXECUTE FUNCTION report_note('published_at');
CREATE TRIGGER report_changes_inspection_update
AFTER UPDATE OF published_at, state, total_tenths, agent_id ON qa_inspections
FOR EACH ROW EXECUTE FUNCTION report_note('published_at');
