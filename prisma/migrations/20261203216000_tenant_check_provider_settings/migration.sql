-- lendgraph:scope=tenant
-- Which KYC, bureau, income and e-sign providers a lender uses is the lender's data: versions drafted and
-- activated through maker-checker like its approval authority matrix. `providers` holds, per kind, the provider's
-- name and its settings (never a secret); `sealed_secrets` holds, per kind, the secret sealed under the platform's
-- data key (tenancy/sealing.ts), so a dump of the schema reveals none. One active version per tenant; the
-- checker is never who asked for the activation.
CREATE TABLE check_provider_settings (
  id                      uuid PRIMARY KEY,
  version                 integer NOT NULL UNIQUE,
  status                  text NOT NULL CHECK (status IN ('draft', 'pending_activation', 'active', 'retired')),
  providers               jsonb NOT NULL,
  sealed_secrets          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by              text NOT NULL,
  created_at              timestamptz(6) NOT NULL,
  activation_requested_by text,
  activated_by            text,
  activated_at            timestamptz(6),
  CHECK (activated_by IS NULL OR activated_by <> activation_requested_by)
);
CREATE UNIQUE INDEX check_provider_settings_active_idx ON check_provider_settings ((true)) WHERE status = 'active';
