-- lendgraph:scope=tenant
-- Who may approve what is the lender's data: versions of its approval authority matrix (amount limits per risk
-- grade for each approver level, and which roles hold which levels), drafted and activated through maker-checker
-- like a credit policy. One active version per tenant; the checker is never who asked for the activation.
CREATE TABLE approval_authority_matrix (
  id                      uuid PRIMARY KEY,
  version                 integer NOT NULL UNIQUE,
  status                  text NOT NULL CHECK (status IN ('draft', 'pending_activation', 'active', 'retired')),
  currency                char(3) NOT NULL,
  levels                  jsonb NOT NULL,
  roles                   jsonb NOT NULL,
  created_by              text NOT NULL,
  created_at              timestamptz(6) NOT NULL,
  activation_requested_by text,
  activated_by            text,
  activated_at            timestamptz(6),
  CHECK (activated_by IS NULL OR activated_by <> activation_requested_by)
);
CREATE UNIQUE INDEX approval_authority_matrix_active_idx ON approval_authority_matrix ((true)) WHERE status = 'active';
