-- Quality inspection keeps each month's items up to date from what changed (issue 7).
-- Keep this file and its twin in the other backend's folder equal in meaning.
--
-- Before, the month's draw recomputed every item of the month inside the request (7 s
-- for a million items), and the scheduler recomputed the last two days every minute,
-- missing a complaint or a survey answer that came in later about an older call. Now
-- triggers note every source whose item may have changed, whoever changed it, and the
-- refresh reads only those. The draw's read of the month gets a column of its own (at the
-- end of this file).

-- A call, chat or ticket whose QA item may be out of date. `ticket` also stands for the
-- calls and chats linked to that ticket (their complaint flag and satisfaction are the
-- ticket's). Emptied by the scheduler's refresh.
CREATE TABLE qa_changes (
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (kind, source_id)
);

-- Months whose items are maintained from qa_changes: written by the month's first whole
-- refresh. A month without a row is refreshed whole before it is read.
CREATE TABLE qa_refreshes (
    month TEXT PRIMARY KEY,
    refreshed_at BIGINT NOT NULL
);

-- The changed calls and chats of a ticket.
CREATE INDEX chat_conversations_ticket ON chat_conversations (ticket_id);

-- The source itself changed: TG_ARGV[0] is its kind.
CREATE FUNCTION qa_changes_source() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES (TG_ARGV[0], NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- A complaint or a satisfaction answer changed the items of its ticket.
CREATE FUNCTION qa_changes_ticket_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.ticket_id IS NOT NULL THEN
        INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', OLD.ticket_id)
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.ticket_id IS NOT NULL THEN
        INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', NEW.ticket_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER qa_changes_call_insert AFTER INSERT ON calls
FOR EACH ROW EXECUTE FUNCTION qa_changes_source('call');
CREATE TRIGGER qa_changes_call_update
AFTER UPDATE OF agent_id, answered_at, duration_s, queue, ticket_id, started_at ON calls
FOR EACH ROW WHEN (OLD.agent_id IS DISTINCT FROM NEW.agent_id
    OR OLD.answered_at IS DISTINCT FROM NEW.answered_at
    OR OLD.duration_s IS DISTINCT FROM NEW.duration_s OR OLD.queue IS DISTINCT FROM NEW.queue
    OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id
    OR OLD.started_at IS DISTINCT FROM NEW.started_at)
EXECUTE FUNCTION qa_changes_source('call');

CREATE TRIGGER qa_changes_chat_insert AFTER INSERT ON chat_conversations
FOR EACH ROW EXECUTE FUNCTION qa_changes_source('chat');
CREATE TRIGGER qa_changes_chat_update
AFTER UPDATE OF agent_id, assigned_at, closed_at, visitor_name, ticket_id, created_at
ON chat_conversations
FOR EACH ROW WHEN (OLD.agent_id IS DISTINCT FROM NEW.agent_id
    OR OLD.assigned_at IS DISTINCT FROM NEW.assigned_at
    OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
    OR OLD.visitor_name IS DISTINCT FROM NEW.visitor_name
    OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id
    OR OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION qa_changes_source('chat');

CREATE TRIGGER qa_changes_ticket_insert AFTER INSERT ON tickets
FOR EACH ROW EXECUTE FUNCTION qa_changes_source('ticket');
CREATE TRIGGER qa_changes_ticket_update
AFTER UPDATE OF assignee_id, first_owner_id, subject, channel, created_at ON tickets
FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
    OR OLD.first_owner_id IS DISTINCT FROM NEW.first_owner_id
    OR OLD.subject IS DISTINCT FROM NEW.subject OR OLD.channel IS DISTINCT FROM NEW.channel
    OR OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION qa_changes_source('ticket');

CREATE TRIGGER qa_changes_complaint AFTER INSERT OR DELETE ON complaints
FOR EACH ROW EXECUTE FUNCTION qa_changes_ticket_of();
CREATE TRIGGER qa_changes_survey_insert AFTER INSERT ON survey_responses
FOR EACH ROW WHEN (NEW.ticket_id IS NOT NULL) EXECUTE FUNCTION qa_changes_ticket_of();
CREATE TRIGGER qa_changes_survey_update AFTER UPDATE OF ticket_id, csat ON survey_responses
FOR EACH ROW WHEN (OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.csat IS DISTINCT FROM NEW.csat)
EXECUTE FUNCTION qa_changes_ticket_of();

-- What the month's draw reads of each item, packed into one text
-- ('id,kind,day,duration,complaint,satisfaction,flags'), kept by the database and held in
-- the draw's index: packing the seven columns in the query was most of the read (1.5 s of
-- 1.7 s for a million items, SQLite shell; 0.27 s reading this column). The index begins
-- with (month, agent_id), so it also serves one agent's month (the hand-picking list),
-- as qa_items_candidates did.
ALTER TABLE qa_items ADD COLUMN sample_facts TEXT GENERATED ALWAYS AS (
    id || ',' || kind || ',' || CAST(day AS TEXT) || ',' || COALESCE(CAST(duration_s AS TEXT), '')
    || ',' || CAST(complaint AS TEXT) || ',' || COALESCE(CAST(satisfaction AS TEXT), '') || ','
    || CAST(flags AS TEXT)
) STORED;
CREATE INDEX qa_items_sample ON qa_items (month, agent_id, sample_facts);
DROP INDEX qa_items_candidates;
