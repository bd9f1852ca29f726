-- Schema version 4: what next-best-offers reads per customer.
CREATE INDEX IF NOT EXISTS issues_customer ON issues (customer_id);
