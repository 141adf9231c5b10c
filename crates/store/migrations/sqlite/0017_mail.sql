-- E-mail as a channel: the mailboxes kefu reads and sends from, every message in and
-- out (kept whole as a blob, with what became of it), their attachments, the key that
-- signs reply tokens, and the outbox that sends e-mail and SMS with retries.
-- Keep this file and ../postgres/0017_mail.sql equal in meaning.

-- Secrets (IMAP/SMTP passwords, OAuth2 tokens) are stored but never shown back.
-- uid_validity/last_uid: where the IMAP poll stopped. lease_*: which server polls now.
CREATE TABLE mailboxes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments(id),
    enabled BIGINT NOT NULL DEFAULT 1,
    imap_host TEXT NOT NULL,
    imap_port BIGINT NOT NULL,
    imap_security TEXT NOT NULL,
    imap_username TEXT NOT NULL,
    imap_auth TEXT NOT NULL,
    imap_secret TEXT,
    imap_folder TEXT NOT NULL,
    smtp_host TEXT NOT NULL,
    smtp_port BIGINT NOT NULL,
    smtp_security TEXT NOT NULL,
    smtp_username TEXT,
    smtp_secret TEXT,
    signature TEXT NOT NULL,
    uid_validity BIGINT,
    last_uid BIGINT NOT NULL DEFAULT 0,
    last_polled_at BIGINT,
    last_error TEXT,
    lease_holder TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mailboxes_address ON mailboxes (address);

-- direction: in/out. dedupe_key: the Message-ID, or sha256:<raw> when there is none.
-- disposition: ticket, reply, held, auto_reply, bounce, failed (in); released,
-- discarded (held, after review); sent (out).
CREATE TABLE mail_messages (
    id TEXT PRIMARY KEY,
    mailbox_id TEXT NOT NULL REFERENCES mailboxes(id),
    direction TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    message_id TEXT,
    disposition TEXT NOT NULL,
    hold_reason TEXT,
    ticket_id TEXT REFERENCES tickets(id),
    from_address TEXT,
    from_name TEXT,
    subject TEXT,
    body_text TEXT,
    body_html TEXT,
    raw_sha256 TEXT REFERENCES blobs(sha256),
    failure TEXT,
    detail TEXT,
    received_at BIGINT NOT NULL,
    reviewed_by TEXT REFERENCES users(id),
    reviewed_at BIGINT
);
CREATE UNIQUE INDEX mail_messages_dedupe ON mail_messages (mailbox_id, direction, dedupe_key);
CREATE INDEX mail_messages_message_id ON mail_messages (message_id);
CREATE INDEX mail_messages_disposition ON mail_messages (disposition, id);
CREATE INDEX mail_messages_ticket ON mail_messages (ticket_id, from_address);

CREATE TABLE mail_attachments (
    mail_id TEXT NOT NULL REFERENCES mail_messages(id),
    position BIGINT NOT NULL,
    blob_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    filename TEXT NOT NULL,
    inline BIGINT NOT NULL,
    PRIMARY KEY (mail_id, position)
);

-- The key that signs reply tokens: made by the first server that needs it.
CREATE TABLE mail_keys (
    id BIGINT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- What kefu sends by e-mail or SMS: agent replies, notifications, survey links (adopted
-- from survey_outbox). status: queued, sending (leased by one server), sent, dead
-- (given up after the last retry; the dead-letter list). A send never happens inside a
-- page's request: the page queues, the sender loop delivers.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    mailbox_id TEXT REFERENCES mailboxes(id),
    ticket_id TEXT REFERENCES tickets(id),
    survey_outbox_id TEXT REFERENCES survey_outbox(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    message_id TEXT,
    in_reply_to TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_holder TEXT,
    lease_until BIGINT,
    last_error TEXT,
    provider_ref TEXT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_ticket ON mail_outbox (ticket_id, id);
CREATE UNIQUE INDEX mail_outbox_survey ON mail_outbox (survey_outbox_id);

-- The SMS gateway: an HTTP endpoint taking JSON {to, template, params, text} with the key
-- in a header. One row (id = 1); the key is never shown back.
CREATE TABLE sms_settings (
    id BIGINT PRIMARY KEY,
    enabled BIGINT NOT NULL,
    url TEXT NOT NULL,
    api_key TEXT,
    template TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
