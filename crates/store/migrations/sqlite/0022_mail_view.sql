-- An inline image's Content-ID, so the message page can show it where the HTML body
-- names it (`cid:`). Older messages have none: their inline images stay attachments.
ALTER TABLE mail_attachments ADD COLUMN content_id TEXT;
