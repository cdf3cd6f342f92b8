-- lendgraph:scope=tenant
-- Partners of the lender: origination partners (bring applications) and co-lending partners (fund shares).
-- `code` is the partner id their tokens carry (lendgraph_partner.id); `client_id` their identity-provider client.
CREATE TABLE partner (
  id                 uuid PRIMARY KEY,
  code               text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$'),
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind               text NOT NULL CHECK (kind IN ('origination', 'colending')),
  status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  client_id          text NOT NULL UNIQUE,
  secret_rotated_at  timestamptz(6),
  created_at         timestamptz(6) NOT NULL DEFAULT now()
);
