-- lendgraph:scope=tenant
-- The lender's staff: people a tenant admin invited, with their staff roles. The identity provider (Keycloak:
-- a user in the tenant's organization and its role groups) is where they sign in; this row is the lender's own
-- record of who was invited, by whom, with which roles, and whether they may still act. `identity_subject` is
-- the `sub` of their tokens (the Keycloak user id, or the development issuer's subject), so audit records and
-- maker-checker rules name the same person this row does.
CREATE TABLE staff_member (
  id                uuid PRIMARY KEY,
  email             text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  roles             text[] NOT NULL CHECK (cardinality(roles) >= 1),
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  identity_subject  text NOT NULL UNIQUE,
  invited_by        text NOT NULL,
  invited_at        timestamptz(6) NOT NULL,
  changed_by        text,
  changed_at        timestamptz(6)
);
