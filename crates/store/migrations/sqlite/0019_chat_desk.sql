-- Web chat, the agent's desk: scripts (话术), canned replies an agent inserts into the
-- reply box, for every topic or for one. Keep this file and ../postgres/0019_chat_desk.sql
-- equal in meaning.
CREATE TABLE chat_scripts (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    topic_id TEXT REFERENCES chat_topics(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chat_scripts_topic ON chat_scripts (topic_id, title, id);
