-- The outbox as pages show it: by status newest first (pending, retrying, dead, sent,
-- discarded), the SMS delivery log by channel (every status), and which messages are automatic
-- (notifications, survey links, acknowledgements: sent with Auto-Submitted so that no
-- robot answers them) as opposed to an agent's own reply. Keep this file and
-- ../postgres/0020_mail_outbox_pages.sql equal in meaning.
ALTER TABLE mail_outbox ADD COLUMN automatic BIGINT NOT NULL DEFAULT 0;
-- Rows queued before this version: survey links and other messages no agent wrote.
UPDATE mail_outbox SET automatic = 1 WHERE survey_outbox_id IS NOT NULL OR created_by IS NULL;
CREATE INDEX mail_outbox_status ON mail_outbox (status, id);
CREATE INDEX mail_outbox_channel ON mail_outbox (channel, id);
