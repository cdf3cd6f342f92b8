-- lendgraph:scope=tenant
-- A webhook attempt is logged when its request leaves, before anything is known of its outcome, so that an attempt
-- whose sender was killed mid-request keeps its number and its place in the delivery log. Until the outcome is
-- recorded it has no duration (nor status code or error). Dropping NOT NULL changes only the catalogue: no row is
-- rewritten.
ALTER TABLE webhook_attempt ALTER COLUMN duration_ms DROP NOT NULL;
