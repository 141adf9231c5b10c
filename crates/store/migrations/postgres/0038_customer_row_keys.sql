-- Customers get an internal integer row key, `rk`, and their secondary indexes end with
-- it instead of the 32-character public id (foundation benchmark B1; see the SQLite
-- migration of the same number, where the table is rebuilt around it). The public `id`
-- stays the primary key that the API and every other table use. Existing customers are
-- numbered in id order, which is creation order (UUIDv7), so lists keep their order.
ALTER TABLE customers ADD COLUMN rk BIGINT;
UPDATE customers SET rk = o.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM customers) o
WHERE o.id = customers.id;
CREATE SEQUENCE customers_rk_seq OWNED BY customers.rk;
SELECT setval('customers_rk_seq', COALESCE((SELECT MAX(rk) FROM customers), 0) + 1, false);
ALTER TABLE customers ALTER COLUMN rk SET DEFAULT nextval('customers_rk_seq'),
    ALTER COLUMN rk SET NOT NULL;
CREATE UNIQUE INDEX customers_rk ON customers (rk);
DROP INDEX customers_tier;
DROP INDEX customers_status;
DROP INDEX customers_owner;
DROP INDEX customers_expires;
CREATE INDEX customers_tier ON customers (tier, rk);
CREATE INDEX customers_status ON customers (status, rk);
CREATE INDEX customers_owner ON customers (owner_id, rk);
CREATE INDEX customers_expires ON customers (expires_on, rk);
