-- lendgraph:scope=platform
-- Which PostgreSQL database holds a tenant's schema, by the name the gateways' settings give it (TENANT_DATABASES).
-- 'main' is the database the platform schema itself lives in (DATABASE_URL): every tenant made before placement.
ALTER TABLE tenant ADD COLUMN database text NOT NULL DEFAULT 'main';
CREATE INDEX tenant_database ON tenant (database);
