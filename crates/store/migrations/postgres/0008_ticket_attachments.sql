-- Files attached to work orders (photos of a fault, invoices, screenshots). The bytes
-- live in the content-addressed blob store (0006); this is which ticket has which file
-- under what name. Keep this file and ../sqlite/0008_ticket_attachments.sql equal in meaning.
CREATE TABLE ticket_attachments (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    blob_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    filename TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);
