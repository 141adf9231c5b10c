-- A call's transcript (speech-to-text from the telephony side), line by line, so the
-- automatic quality checks read calls as they read chats and e-mails. `at_ms` counts from
-- the start of the call; `speaker` is customer or agent.
CREATE TABLE call_transcript_lines (
    call_id TEXT NOT NULL REFERENCES calls(id),
    position BIGINT NOT NULL,
    speaker TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (call_id, position)
);
