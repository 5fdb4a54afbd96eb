CREATE TABLE orders (id bigserial PRIMARY KEY, customer_name text NOT NULL);
