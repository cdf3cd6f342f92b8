-- lendgraph:scope=platform
-- The tenant registry. Runs with search_path set to the platform schema, so names are unqualified.
CREATE TABLE tenant (
  id              uuid PRIMARY KEY,
  slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
  display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  status          text NOT NULL CHECK (status IN ('active', 'suspended', 'offboarded')),
  status_reason   text,
  sandbox         boolean NOT NULL DEFAULT false,
  currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  time_zone       text NOT NULL,
  business_date   date NOT NULL,
  schema_name     text NOT NULL UNIQUE,
  schema_version  text,
  created_at      timestamptz(6) NOT NULL DEFAULT now(),
  updated_at      timestamptz(6) NOT NULL DEFAULT now()
);
