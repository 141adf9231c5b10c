-- The month's QA draw at a million items (issue 7). Keep this file and its twin in the
-- other backend's folder equal in meaning.

-- The automatic checks' work list in the order it is read (oldest first), holding only
-- items still to read. A call waits only once it has a transcript: refreshing items now
-- marks a call without one as read (with no findings), and attaching a transcript marks
-- it unread again, so the months of calls without transcripts no longer sit in the list
-- and get skipped on every read of it.
-- It replaces qa_items_unchecked, which led to every unread item, sorted on each read.
DROP INDEX qa_items_unchecked;
CREATE INDEX qa_items_to_check ON qa_items (occurred_at, id)
    WHERE checked_at IS NULL AND kind IN ('chat', 'email', 'call');
UPDATE qa_items SET checked_at = occurred_at
    WHERE kind = 'call' AND checked_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM call_transcript_lines l WHERE l.call_id = qa_items.source_id);
