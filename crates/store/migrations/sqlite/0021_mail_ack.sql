-- The acknowledgement a new e-mail ticket gets (自动回执): a template per language on
-- each mailbox (empty: none sent), and the index that finds the automatic mail a
-- recipient got lately, so one sender gets at most one acknowledgement an hour.
-- Keep this file and ../postgres/0021_mail_ack.sql equal in meaning.
ALTER TABLE mailboxes ADD COLUMN ack_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE mailboxes ADD COLUMN ack_en TEXT NOT NULL DEFAULT '';
CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient, created_at);
