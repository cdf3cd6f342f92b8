-- lendgraph:scope=tenant
-- Co-lending (docs/co-lending.md): arrangements with co-lending partners, versioned and approved by a second
-- person; the lender's own limits for them; each partner's accounts in the lender's books; and participations, a
-- partner's share of one loan, snapshotted from the arrangement's version in force when it was assigned.

-- The lender's limits for every arrangement; without a row, the Reserve Bank of India's 2025 values apply.
CREATE TABLE colending_rules (
  id                         boolean PRIMARY KEY DEFAULT true CHECK (id),
  minimum_retention_percent  numeric(7, 4) NOT NULL CHECK (minimum_retention_percent >= 0 AND minimum_retention_percent < 100),
  maximum_guarantee_percent  numeric(7, 4) NOT NULL CHECK (maximum_guarantee_percent >= 0 AND maximum_guarantee_percent <= 100),
  assignment_window_days     integer NOT NULL CHECK (assignment_window_days BETWEEN 0 AND 365),
  changed_by                 text NOT NULL,
  changed_at                 timestamptz(6) NOT NULL
);

-- Each co-lending partner's accounts: what the lender owes it from collections, its share of the principal still
-- lent, and the servicing fees kept from its interest. Opened with its first approved arrangement.
CREATE TABLE colending_partner_ledger (
  partner_code           text PRIMARY KEY REFERENCES partner (code),
  number                 integer NOT NULL UNIQUE,
  payable_account        text NOT NULL REFERENCES ledger_account (code),
  funded_account         text NOT NULL REFERENCES ledger_account (code),
  servicing_fee_account  text NOT NULL REFERENCES ledger_account (code),
  opened_at              timestamptz(6) NOT NULL
);

CREATE TABLE colending_arrangement (
  id            uuid PRIMARY KEY,
  partner_code  text NOT NULL REFERENCES partner (code),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  currency      char(3) NOT NULL,
  created_by    text NOT NULL,
  created_at    timestamptz(6) NOT NULL,
  UNIQUE (partner_code, name)
);

-- One version is in force at a time (approved); a new one is proposed by one person and decided by another, and
-- supersedes the one in force when approved. Loans keep the version they were assigned under.
CREATE TABLE colending_arrangement_version (
  arrangement_id          uuid NOT NULL REFERENCES colending_arrangement (id),
  version                 integer NOT NULL CHECK (version >= 1),
  share_percent           numeric(7, 4) NOT NULL CHECK (share_percent > 0 AND share_percent < 100),
  partner_rate_percent    numeric(9, 4) NOT NULL CHECK (partner_rate_percent >= 0),
  model                   text NOT NULL CHECK (model IN ('emiBased', 'collectionShare', 'principalPlusPartnerRate')),
  servicing_fee_percent   numeric(9, 4) NOT NULL CHECK (servicing_fee_percent >= 0),
  guarantee_cap_percent   numeric(7, 4) CHECK (guarantee_cap_percent > 0),
  guarantee_trigger_days  integer CHECK (guarantee_trigger_days BETWEEN 1 AND 3650),
  shares_fees             boolean NOT NULL,
  shares_penalties        boolean NOT NULL,
  product_codes           text[] NOT NULL DEFAULT '{}',
  max_loan_principal      numeric(20, 4) CHECK (max_loan_principal > 0),
  total_limit             numeric(20, 4) CHECK (total_limit > 0),
  valid_from              date NOT NULL,
  valid_to                date CHECK (valid_to >= valid_from),
  status                  text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
  proposed_by             text NOT NULL,
  proposed_at             timestamptz(6) NOT NULL,
  decided_by              text,
  decided_at              timestamptz(6),
  decision_reason         text,
  PRIMARY KEY (arrangement_id, version),
  CHECK ((guarantee_cap_percent IS NULL) = (guarantee_trigger_days IS NULL))
);
CREATE UNIQUE INDEX colending_arrangement_version_pending_idx ON colending_arrangement_version (arrangement_id) WHERE status = 'pending';
CREATE UNIQUE INDEX colending_arrangement_version_in_force_idx ON colending_arrangement_version (arrangement_id) WHERE status = 'approved';
CREATE INDEX colending_arrangement_version_queue_idx ON colending_arrangement_version (status, proposed_at);

-- A partner's share of one loan: the arrangement's terms as they were, its accounts, and the business date from
-- which the share counts (the disbursement, or the day it was assigned).
CREATE TABLE loan_participation (
  id                     uuid PRIMARY KEY,
  loan_id                uuid NOT NULL REFERENCES loan (id),
  partner_code           text NOT NULL REFERENCES partner (code),
  arrangement_id         uuid NOT NULL,
  arrangement_version    integer NOT NULL,
  share_percent          numeric(7, 4) NOT NULL CHECK (share_percent > 0 AND share_percent < 100),
  model                  text NOT NULL CHECK (model IN ('emiBased', 'collectionShare', 'principalPlusPartnerRate')),
  partner_rate_percent   numeric(9, 4) NOT NULL,
  servicing_fee_percent  numeric(9, 4) NOT NULL,
  shares_fees            boolean NOT NULL,
  shares_penalties       boolean NOT NULL,
  emi_interest_ratio     numeric(20, 10),
  from_date              date NOT NULL,
  -- Its share of the principal owed on `from_date`: what it paid in (and what counts against its total limit).
  funded                 numeric(20, 4) NOT NULL CHECK (funded >= 0),
  payable_account        text NOT NULL REFERENCES ledger_account (code),
  funded_account         text NOT NULL REFERENCES ledger_account (code),
  servicing_fee_account  text NOT NULL REFERENCES ledger_account (code),
  assigned_by            text NOT NULL,
  assigned_at            timestamptz(6) NOT NULL,
  FOREIGN KEY (arrangement_id, arrangement_version) REFERENCES colending_arrangement_version (arrangement_id, version),
  UNIQUE (loan_id, partner_code)
);
CREATE INDEX loan_participation_partner_idx ON loan_participation (partner_code, loan_id);
CREATE INDEX loan_participation_arrangement_idx ON loan_participation (arrangement_id);
