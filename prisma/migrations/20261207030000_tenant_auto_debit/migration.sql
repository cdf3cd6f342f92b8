-- lendgraph:scope=tenant
-- Auto-debit (docs/auto-debit.md): a borrower's bank-account mandate on a loan, end of day presenting each
-- instalment as it falls due in a NACHA PPD debit file, the presentment posted as a repayment, and return files
-- reversing it by R-code.

-- Who the lender is in the ACH network, and what a returned debit costs the borrower. One row.
CREATE TABLE debit_settings (
  id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
  company_name        text NOT NULL,
  company_id          text NOT NULL CHECK (company_id ~ '^[0-9A-Za-z ]{10}$'),
  odfi_routing        text NOT NULL CHECK (odfi_routing ~ '^[0-9]{9}$'),
  odfi_name           text NOT NULL,
  -- The fee charged on a loan for a debit returned R01 or R09: by product code, else the default.
  return_fee          numeric(20, 4) NOT NULL CHECK (return_fee >= 0),
  product_return_fees jsonb NOT NULL DEFAULT '{}',
  changed_by          text NOT NULL,
  changed_at          timestamptz(6) NOT NULL
);

CREATE TABLE debit_mandate (
  id                     uuid PRIMARY KEY,
  loan_id                uuid NOT NULL REFERENCES loan (id),
  holder_name            text NOT NULL CHECK (length(holder_name) BETWEEN 1 AND 22),
  routing_number         text NOT NULL CHECK (routing_number ~ '^[0-9]{9}$'),
  -- The account number sealed (AES-256-GCM with the data key); only its last four digits shown.
  account_number_sealed  text NOT NULL,
  account_last4          text NOT NULL,
  account_type           text NOT NULL CHECK (account_type IN ('checking', 'savings')),
  status                 text NOT NULL CHECK (status IN ('active', 'revoked')),
  revoked_reason         text,
  created_by             text NOT NULL,
  created_at             timestamptz(6) NOT NULL,
  revoked_at             timestamptz(6)
);
CREATE UNIQUE INDEX debit_mandate_active_idx ON debit_mandate (loan_id) WHERE status = 'active';

-- Trace numbers' sequence part (7 digits after the ODFI's 8). NACHA asks a trace number to be unique within its
-- file; the sequence goes round after ten million, so a trace number is unique per presentment date.
CREATE SEQUENCE debit_trace_seq MAXVALUE 9999999 CYCLE;

CREATE TABLE debit_presentment (
  id              uuid PRIMARY KEY,
  mandate_id      uuid NOT NULL REFERENCES debit_mandate (id),
  loan_id         uuid NOT NULL REFERENCES loan (id),
  -- The instalment's due date it collects, and which try this is (1, then at most two re-presentments).
  due_date        date NOT NULL,
  attempt         integer NOT NULL CHECK (attempt BETWEEN 1 AND 3),
  amount          numeric(20, 4) NOT NULL CHECK (amount > 0),
  presented_on    date NOT NULL,
  trace_number    text NOT NULL,
  -- The repayment it was posted as; the reversal and fee when it came back.
  transaction_id  uuid,
  status          text NOT NULL CHECK (status IN ('presented', 'returned')),
  return_code     text,
  returned_on     date,
  reversal_id     uuid,
  -- The return fee decided when the return was taken in (posted with the reversal), and its posting.
  return_fee      numeric(20, 4),
  fee_id          uuid,
  created_at      timestamptz(6) NOT NULL,
  UNIQUE (loan_id, due_date, attempt),
  UNIQUE (presented_on, trace_number)
);
CREATE INDEX debit_presentment_day_idx ON debit_presentment (presented_on);
CREATE INDEX debit_presentment_trace_idx ON debit_presentment (trace_number);
-- Returns taken in whose reversal or fee is still to post (a taking-in that stopped part-way).
CREATE INDEX debit_presentment_unsettled_idx ON debit_presentment (id) WHERE status = 'returned' AND reversal_id IS NULL;

-- The file each end of day wrote, as sent to the bank, sealed (it holds full account numbers).
CREATE TABLE debit_file (
  business_date  date PRIMARY KEY,
  entries        integer NOT NULL,
  total          numeric(20, 4) NOT NULL,
  content_sealed text NOT NULL,
  created_at     timestamptz(6) NOT NULL
);

-- Return files taken in, each once (by the digest of its text).
CREATE TABLE debit_return_file (
  digest       text PRIMARY KEY,
  entries      integer NOT NULL,
  received_by  text NOT NULL,
  received_at  timestamptz(6) NOT NULL
);
