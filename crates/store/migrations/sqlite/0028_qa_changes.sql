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

CREATE TRIGGER qa_changes_call_insert AFTER INSERT ON calls BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('call', NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER qa_changes_call_update
AFTER UPDATE OF agent_id, answered_at, duration_s, queue, ticket_id, started_at ON calls
WHEN OLD.agent_id IS NOT NEW.agent_id OR OLD.answered_at IS NOT NEW.answered_at
    OR OLD.duration_s IS NOT NEW.duration_s OR OLD.queue IS NOT NEW.queue
    OR OLD.ticket_id IS NOT NEW.ticket_id OR OLD.started_at IS NOT NEW.started_at
BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('call', NEW.id) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER qa_changes_chat_insert AFTER INSERT ON chat_conversations BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('chat', NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER qa_changes_chat_update
AFTER UPDATE OF agent_id, assigned_at, closed_at, visitor_name, ticket_id, created_at
ON chat_conversations
WHEN OLD.agent_id IS NOT NEW.agent_id OR OLD.assigned_at IS NOT NEW.assigned_at
    OR OLD.closed_at IS NOT NEW.closed_at OR OLD.visitor_name IS NOT NEW.visitor_name
    OR OLD.ticket_id IS NOT NEW.ticket_id OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('chat', NEW.id) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER qa_changes_ticket_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER qa_changes_ticket_update
AFTER UPDATE OF assignee_id, first_owner_id, subject, channel, created_at ON tickets
WHEN OLD.assignee_id IS NOT NEW.assignee_id OR OLD.first_owner_id IS NOT NEW.first_owner_id
    OR OLD.subject IS NOT NEW.subject OR OLD.channel IS NOT NEW.channel
    OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', NEW.id) ON CONFLICT DO NOTHING;
END;

-- A complaint or a satisfaction answer changes the items of its ticket.
CREATE TRIGGER qa_changes_complaint_insert AFTER INSERT ON complaints BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', NEW.ticket_id)
    ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER qa_changes_complaint_delete AFTER DELETE ON complaints BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', OLD.ticket_id)
    ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER qa_changes_survey_insert AFTER INSERT ON survey_responses
WHEN NEW.ticket_id IS NOT NULL
BEGIN
    INSERT INTO qa_changes (kind, source_id) VALUES ('ticket', NEW.ticket_id)
    ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER qa_changes_survey_update AFTER UPDATE OF ticket_id, csat ON survey_responses
WHEN OLD.ticket_id IS NOT NEW.ticket_id OR OLD.csat IS NOT NEW.csat
BEGIN
    INSERT INTO qa_changes (kind, source_id)
    SELECT 'ticket', t FROM (SELECT OLD.ticket_id AS t UNION SELECT NEW.ticket_id)
    WHERE t IS NOT NULL ON CONFLICT DO NOTHING;
END;

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
) VIRTUAL;
CREATE INDEX qa_items_sample ON qa_items (month, agent_id, sample_facts);
DROP INDEX qa_items_candidates;
