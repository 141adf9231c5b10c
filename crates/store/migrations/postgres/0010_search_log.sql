-- The search index is derived data. Every write to something searchable (a ticket, a
-- customer, a knowledge article) appends the entity's id here in the same transaction,
-- so an index that crashed, or runs on another server, catches up by reading this log
-- from the last sequence number it applied. Keep this file and
-- ../sqlite/0010_search_log.sql equal in meaning.
CREATE TABLE search_log (
    seq BIGSERIAL PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
