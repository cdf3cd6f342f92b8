-- lendgraph:scope=platform
-- Onboarding spans the database and the identity provider; the registry says where a tenant stands:
-- provisioning (database made, identity pending), onboarding_failed (compensated; a retry starts again).
ALTER TABLE tenant DROP CONSTRAINT tenant_status_check;
ALTER TABLE tenant ADD CONSTRAINT tenant_status_check
  CHECK (status IN ('provisioning', 'onboarding_failed', 'active', 'suspended', 'offboarded'));
