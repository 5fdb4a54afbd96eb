ALTER TABLE orders ADD COLUMN customer_id bigint NULL;
