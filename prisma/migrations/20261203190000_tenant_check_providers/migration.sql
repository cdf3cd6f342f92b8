-- lendgraph:scope=platform
-- Which check providers a lender's applications are sent to is the lender's configuration. Only the sandbox set
-- exists today, so every tenant has it; a real set is added here and in checkProvidersFor together.
ALTER TABLE tenant ADD COLUMN check_providers text NOT NULL DEFAULT 'sandbox'
  CONSTRAINT tenant_check_providers_check CHECK (check_providers IN ('sandbox'));
