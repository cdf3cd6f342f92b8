-- lendgraph:scope=platform
-- The web origins a lender's embedded dashboards are served from: browsers may call the API from these for that
-- tenant (CORS), and nowhere else. Kept on the registry's row because a request's tenant is resolved from it.
ALTER TABLE tenant ADD COLUMN dashboard_origins text[] NOT NULL DEFAULT '{}';
CREATE INDEX tenant_dashboard_origins ON tenant USING gin (dashboard_origins);
