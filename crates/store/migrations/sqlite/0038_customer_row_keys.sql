-- Customers get an internal integer row key, `rk`, and their secondary indexes end with
-- it instead of the 32-character public id (foundation benchmark B1). Every entry of
-- (tier, id), (status, id), (owner_id, id) and (expires_on, id) repeated the id; with
-- `rk` the table's own key, an index entry carries 8 bytes instead of 40, and a
-- million-customer import writes a quarter of the index pages it did. The public `id`
-- stays what the API and every other table use, unique and indexed.
--
-- SQLite adds an INTEGER PRIMARY KEY only by rebuilding the table: copy, drop, rename.
-- The store runs SQLite's migrations with foreign keys off and checks them afterwards
-- (`Db::migrate`); with them on, dropping the old table would delete (cascade) or refuse
-- every row that refers to a customer. Existing customers are numbered in id order,
-- which is creation order (UUIDv7), so lists keep their order.
CREATE TABLE customers_rk (
    rk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    company TEXT,
    gender TEXT NOT NULL DEFAULT 'unknown',
    tier TEXT NOT NULL REFERENCES customer_tiers(code),
    status TEXT NOT NULL,
    owner_id TEXT REFERENCES users(id),
    id_number TEXT,
    address TEXT,
    notes TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_on TEXT,
    do_not_call BIGINT NOT NULL DEFAULT 0
);
INSERT INTO customers_rk (id, name, company, gender, tier, status, owner_id, id_number,
    address, notes, created_by, created_at, updated_at, expires_on, do_not_call)
SELECT id, name, company, gender, tier, status, owner_id, id_number,
    address, notes, created_by, created_at, updated_at, expires_on, do_not_call
FROM customers ORDER BY id;
DROP TABLE customers;
ALTER TABLE customers_rk RENAME TO customers;
CREATE INDEX customers_tier ON customers (tier, rk);
CREATE INDEX customers_status ON customers (status, rk);
CREATE INDEX customers_owner ON customers (owner_id, rk);
CREATE INDEX customers_expires ON customers (expires_on, rk);
