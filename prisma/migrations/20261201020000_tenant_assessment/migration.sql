-- lendgraph:scope=tenant
-- Origination, second part: checks with their raw responses, credit policies as versioned rule sets (data),
-- decisions that can be explained and reproduced, underwriting approvals, offers with consent, documents (kept in
-- PostgreSQL behind a storage interface), and disbursement requests approved by a second person.

CREATE TABLE application_check (
  id                  uuid PRIMARY KEY,
  application_id      uuid NOT NULL REFERENCES application (id),
  party_id            uuid NOT NULL REFERENCES party (id),
  kind                text NOT NULL CHECK (kind IN ('kyc', 'bureau', 'income')),
  provider            text NOT NULL,
  attempt             integer NOT NULL,
  status              text NOT NULL CHECK (status IN ('pending', 'passed', 'failed', 'refer', 'error', 'timeout')),
  provider_reference  text,
  summary             jsonb,
  -- The provider's whole response, verbatim.
  raw                 jsonb,
  reason              text,
  requested_at        timestamptz(6) NOT NULL,
  completed_at        timestamptz(6),
  UNIQUE (application_id, party_id, kind, attempt)
);
CREATE UNIQUE INDEX application_check_reference_idx ON application_check (provider, provider_reference) WHERE provider_reference IS NOT NULL;

CREATE TABLE credit_policy (
  id                     uuid PRIMARY KEY,
  product_id             uuid NOT NULL REFERENCES loan_product (id),
  version                integer NOT NULL,
  status                 text NOT NULL CHECK (status IN ('draft', 'pending_activation', 'active', 'retired')),
  rule_set               jsonb NOT NULL,
  created_by             text NOT NULL,
  created_at             timestamptz(6) NOT NULL,
  activation_requested_by text,
  activated_by           text,
  activated_at           timestamptz(6),
  UNIQUE (product_id, version),
  CHECK (activated_by IS NULL OR activated_by <> activation_requested_by)
);
-- One active policy per product at a time.
CREATE UNIQUE INDEX credit_policy_active_idx ON credit_policy (product_id) WHERE status = 'active';

CREATE TABLE application_decision (
  id                  uuid PRIMARY KEY,
  application_id      uuid NOT NULL REFERENCES application (id),
  policy_id           uuid REFERENCES credit_policy (id),
  policy_version      integer,
  outcome             text NOT NULL CHECK (outcome IN ('APPROVE', 'DECLINE', 'REFER')),
  reasons             jsonb NOT NULL,
  risk_grade          text,
  max_amount          numeric(20, 4),
  -- Everything the rules read, as they read it, and each rule's outcome: enough to explain and reproduce it.
  input_snapshot      jsonb NOT NULL,
  rule_outcomes       jsonb NOT NULL,
  -- 'policy' (automated) or 'underwriter' (a person's decision on a referral).
  decided_by_kind     text NOT NULL CHECK (decided_by_kind IN ('policy', 'underwriter')),
  decided_by          text NOT NULL,
  override            boolean NOT NULL DEFAULT false,
  override_reason     text,
  decided_at          timestamptz(6) NOT NULL,
  CHECK (NOT override OR override_reason IS NOT NULL)
);
CREATE INDEX application_decision_idx ON application_decision (application_id, decided_at);

-- An underwriter's recommendation on a referred application, decided by someone with the authority.
CREATE TABLE approval_request (
  id                uuid PRIMARY KEY,
  application_id    uuid NOT NULL REFERENCES application (id),
  recommendation    text NOT NULL CHECK (recommendation IN ('approve', 'decline')),
  amount            numeric(20, 4) NOT NULL,
  risk_grade        text,
  override          boolean NOT NULL DEFAULT false,
  reason            text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by      text NOT NULL,
  requested_at      timestamptz(6) NOT NULL,
  decided_by        text,
  decided_at        timestamptz(6),
  decision_reason   text,
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
-- Duplicate pending approvals are refused by the database too.
CREATE UNIQUE INDEX approval_request_pending_idx ON approval_request (application_id) WHERE status = 'pending';

CREATE TABLE application_offer (
  id                   uuid PRIMARY KEY,
  application_id       uuid NOT NULL REFERENCES application (id),
  decision_id          uuid NOT NULL REFERENCES application_decision (id),
  amount               numeric(20, 4) NOT NULL,
  annual_rate_percent  numeric(9, 4) NOT NULL,
  number_of_repayments integer NOT NULL,
  instalment           numeric(20, 4) NOT NULL,
  total_repayable      numeric(20, 4) NOT NULL,
  apr_percent          numeric(9, 4) NOT NULL,
  fees                 jsonb NOT NULL,
  -- The loan terms the offer was computed with: what the loan will be booked with.
  terms                jsonb NOT NULL,
  valid_until          date NOT NULL,
  status               text NOT NULL CHECK (status IN ('open', 'accepted', 'expired', 'superseded')),
  created_at           timestamptz(6) NOT NULL,
  accepted_at          timestamptz(6),
  accepted_by          text,
  consent_text         text,
  consent_sha256       text,
  consent_ip           text,
  consent_user_agent   text,
  CHECK (status <> 'accepted' OR (consent_sha256 IS NOT NULL AND accepted_at IS NOT NULL))
);
CREATE UNIQUE INDEX application_offer_open_idx ON application_offer (application_id) WHERE status IN ('open', 'accepted');

CREATE TABLE document_content (
  storage_key  text PRIMARY KEY,
  bytes        bytea NOT NULL
);

CREATE TABLE application_document (
  id               uuid PRIMARY KEY,
  application_id   uuid NOT NULL REFERENCES application (id),
  party_id         uuid REFERENCES party (id),
  kind             text NOT NULL,
  file_name        text NOT NULL,
  content_type     text NOT NULL,
  size_bytes       integer NOT NULL,
  sha256           text NOT NULL,
  storage_key      text NOT NULL,
  status           text NOT NULL CHECK (status IN ('uploaded', 'verified', 'rejected', 'generated', 'signed')),
  status_reason    text,
  -- Another party's document with the same content, when one exists: flagged for operations.
  duplicate_of     uuid REFERENCES application_document (id),
  uploaded_by      text NOT NULL,
  uploaded_at      timestamptz(6) NOT NULL,
  reviewed_by      text,
  reviewed_at      timestamptz(6)
);
CREATE INDEX application_document_idx ON application_document (application_id, uploaded_at);
CREATE INDEX application_document_sha_idx ON application_document (sha256);

-- Documents a product requires before disbursement.
CREATE TABLE product_document_requirement (
  product_id  uuid NOT NULL REFERENCES loan_product (id),
  kind        text NOT NULL,
  description text NOT NULL,
  PRIMARY KEY (product_id, kind)
);
INSERT INTO product_document_requirement (product_id, kind, description)
SELECT id, 'proof_of_identity', 'A government-issued photo identity document' FROM loan_product
UNION ALL
SELECT id, 'proof_of_income', 'A recent payslip or three months of bank statements' FROM loan_product;

CREATE TABLE disbursement_request (
  id               uuid PRIMARY KEY,
  application_id   uuid NOT NULL REFERENCES application (id),
  disbursement_date date NOT NULL,
  first_repayment_date date,
  status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by     text NOT NULL,
  requested_at     timestamptz(6) NOT NULL,
  decided_by       text,
  decided_at       timestamptz(6),
  decision_reason  text,
  loan_id          uuid REFERENCES loan (id),
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE UNIQUE INDEX disbursement_request_pending_idx ON disbursement_request (application_id) WHERE status = 'pending';

-- The loan keeps its origination by reference: the decision and offer it was booked from.
ALTER TABLE loan ADD COLUMN decision_id uuid REFERENCES application_decision (id);
ALTER TABLE loan ADD COLUMN offer_id uuid REFERENCES application_offer (id);
