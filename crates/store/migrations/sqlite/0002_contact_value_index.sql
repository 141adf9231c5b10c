-- Exact contact lookups use customer_contacts_value_rev (value reversed is as selective
-- as value), and mobile uniqueness has its own partial index, so the plain value index
-- only cost a random-key insert per contact.
DROP INDEX customer_contacts_value;
