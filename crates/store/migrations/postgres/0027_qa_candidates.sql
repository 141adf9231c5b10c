-- The month's QA draw reads every item of the month (issue 7). Keep this file and its
-- twin in the other backend's folder equal in meaning.

-- Everything the draw reads, in the order it reads it (an agent's items together, by
-- id): the read walks this index alone, with no lookups into the table and no sort
-- (2.5 s → 0.5 s for a million items on SQLite). It begins with (month, agent_id), so it
-- also serves what qa_items_month did: the hand-picking list of one agent's month.
CREATE INDEX qa_items_candidates ON qa_items
    (month, agent_id, id, kind, day, duration_s, complaint, satisfaction, flags);
DROP INDEX qa_items_month;
