-- lendgraph:scope=tenant
-- Loans, their transactions and the tenant's double-entry ledger. A loan keeps a copy of the terms, allocation
-- rule and account mapping it was booked with. Its transactions are appended, never changed: a correction is a
-- reversal, which is a transaction of its own. The ledger is append-only too: a backdated payment or a reversal
-- posts correction journals dated where the replayed books differ (src/tenancy/loans/postings.ts).

CREATE TABLE ledger_account (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._-]{1,20}$'),
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
  -- The role this account plays for products that do not map the role elsewhere; at most one account per role.
  role        text UNIQUE,
  created_by  text NOT NULL,
  created_at  timestamptz(6) NOT NULL
);

-- The standard chart (src/domain/servicing/ledger.ts, STANDARD_CHART), which every tenant starts with.
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at) VALUES
  ('1000', 'Cash and settlement', 'asset', 'cash', 'migration', now()),
  ('1100', 'Loan principal receivable', 'asset', 'principalReceivable', 'migration', now()),
  ('1110', 'Interest receivable', 'asset', 'interestReceivable', 'migration', now()),
  ('1120', 'Fee receivable', 'asset', 'feeReceivable', 'migration', now()),
  ('1130', 'Penalty receivable', 'asset', 'penaltyReceivable', 'migration', now()),
  ('2100', 'Borrower excess and suspense', 'liability', 'excess', 'migration', now()),
  ('2200', 'Payable to co-lenders', 'liability', 'colenderPayable', 'migration', now()),
  ('4000', 'Interest income', 'income', 'interestIncome', 'migration', now()),
  ('4100', 'Fee income', 'income', 'feeIncome', 'migration', now()),
  ('4200', 'Penalty income', 'income', 'penaltyIncome', 'migration', now()),
  ('5100', 'Loans written off', 'expense', 'writeOffExpense', 'migration', now());

-- A product may post a role to another account than the chart's default (role → account code).
ALTER TABLE loan_product ADD COLUMN account_mapping jsonb NOT NULL DEFAULT '{}';

CREATE TABLE loan (
  id                     uuid PRIMARY KEY,
  product_id             uuid NOT NULL REFERENCES loan_product (id),
  product_version        integer NOT NULL,
  -- Snapshots: what the loan was booked with, whatever the product says later.
  terms                  jsonb NOT NULL,
  allocation             jsonb NOT NULL,
  accounts               jsonb NOT NULL,
  currency               char(3) NOT NULL,
  principal              numeric(20, 4) NOT NULL CHECK (principal > 0),
  disbursement_date      date NOT NULL,
  first_repayment_date   date,
  borrower_party_id      uuid REFERENCES party (id),
  -- The origination partner (code) that brought the loan; it sees the loan and nothing else's.
  origination_partner    text,
  external_reference     text,
  status                 text NOT NULL CHECK (status IN ('approved', 'active', 'overdue', 'closed', 'written_off', 'restructured')),
  -- The sub-ledger as of `as_of`, replayed at the last posting: what lists and the GL reconciliation read.
  as_of                  date NOT NULL,
  days_past_due          integer NOT NULL DEFAULT 0,
  principal_receivable   numeric(20, 4) NOT NULL DEFAULT 0,
  interest_receivable    numeric(20, 4) NOT NULL DEFAULT 0,
  fee_receivable         numeric(20, 4) NOT NULL DEFAULT 0,
  penalty_receivable     numeric(20, 4) NOT NULL DEFAULT 0,
  held                   numeric(20, 4) NOT NULL DEFAULT 0,
  transaction_count      integer NOT NULL DEFAULT 0,
  created_by             text NOT NULL,
  created_at             timestamptz(6) NOT NULL,
  updated_at             timestamptz(6) NOT NULL,
  CHECK (principal_receivable >= 0 AND interest_receivable >= 0 AND fee_receivable >= 0 AND penalty_receivable >= 0 AND held >= 0)
);
CREATE INDEX loan_list_idx ON loan (created_at DESC, id DESC);
CREATE INDEX loan_partner_idx ON loan (origination_partner, created_at DESC) WHERE origination_partner IS NOT NULL;

CREATE TABLE loan_transaction (
  id                  uuid PRIMARY KEY,
  loan_id             uuid NOT NULL REFERENCES loan (id),
  -- Arrival order within the loan: replay breaks value-date ties by it.
  seq                 integer NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('repayment', 'prepayment', 'payoff', 'refund', 'reversal', 'charge', 'waiver')),
  value_date          date NOT NULL,
  amount              numeric(20, 4) CHECK (amount > 0),
  component           text CHECK (component IN ('interest', 'fee', 'penalty')),
  instalment          integer,
  reschedule          text CHECK (reschedule IN ('reduceInstalment', 'reduceTenor')),
  reverses            uuid UNIQUE REFERENCES loan_transaction (id),
  channel             text,
  external_reference  text,
  reason              text,
  batch_id            uuid,
  entered_by          text NOT NULL,
  entered_at          timestamptz(6) NOT NULL,
  UNIQUE (loan_id, seq),
  CHECK ((kind = 'reversal') = (reverses IS NOT NULL)),
  CHECK ((kind = 'reversal') = (amount IS NULL))
);

CREATE TABLE journal (
  id              uuid PRIMARY KEY,
  -- Posting order, for an auditor reading the books as they were written.
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  loan_id         uuid REFERENCES loan (id),
  transaction_id  uuid REFERENCES loan_transaction (id),
  -- disbursement; posting (a transaction's own effect); accrual (what fell due since the last replay);
  -- correction (a backdated transaction or a reversal changed earlier books).
  kind            text NOT NULL CHECK (kind IN ('disbursement', 'posting', 'accrual', 'correction')),
  currency        char(3) NOT NULL,
  value_date      date NOT NULL,
  narrative       text NOT NULL,
  posted_by       text NOT NULL,
  posted_at       timestamptz(6) NOT NULL
);
CREATE INDEX journal_loan_idx ON journal (loan_id, seq);

CREATE TABLE journal_line (
  journal_id  uuid NOT NULL REFERENCES journal (id),
  line        integer NOT NULL,
  account     text NOT NULL REFERENCES ledger_account (code),
  debit       numeric(20, 4) NOT NULL CHECK (debit >= 0),
  credit      numeric(20, 4) NOT NULL CHECK (credit >= 0),
  -- Copied from the journal so that balances by account, date or loan need no join.
  loan_id     uuid,
  currency    char(3) NOT NULL,
  value_date  date NOT NULL,
  PRIMARY KEY (journal_id, line),
  CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX journal_line_account_idx ON journal_line (account, value_date);
CREATE INDEX journal_line_loan_idx ON journal_line (loan_id, value_date);

-- Every journal a statement writes must balance per currency, checked by the database whatever wrote it. The
-- lines a statement adds to a journal must balance by themselves: then every journal, the sum of such batches,
-- balances too, and the check reads only the statement's own rows (never the ledger, which grows).
CREATE FUNCTION journal_line_refuse_unbalanced() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  unbalanced uuid;
BEGIN
  SELECT journal_id INTO unbalanced
    FROM inserted
   GROUP BY journal_id, currency
  HAVING sum(debit) <> sum(credit)
   LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'journal % does not balance', unbalanced USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER journal_line_balanced AFTER INSERT ON journal_line
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION journal_line_refuse_unbalanced();

CREATE FUNCTION books_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: post a correction instead (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal FOR EACH ROW EXECUTE FUNCTION books_refuse_change();
CREATE TRIGGER journal_line_append_only BEFORE UPDATE OR DELETE ON journal_line FOR EACH ROW EXECUTE FUNCTION books_refuse_change();
CREATE TRIGGER loan_transaction_append_only BEFORE UPDATE OR DELETE ON loan_transaction FOR EACH ROW EXECUTE FUNCTION books_refuse_change();
CREATE TRIGGER books_no_truncate BEFORE TRUNCATE ON journal FOR EACH STATEMENT EXECUTE FUNCTION books_refuse_change();
CREATE TRIGGER journal_line_no_truncate BEFORE TRUNCATE ON journal_line FOR EACH STATEMENT EXECUTE FUNCTION books_refuse_change();
CREATE TRIGGER loan_transaction_no_truncate BEFORE TRUNCATE ON loan_transaction FOR EACH STATEMENT EXECUTE FUNCTION books_refuse_change();

-- Waivers need a second person: one asks, another decides; only an approval becomes a transaction.
CREATE TABLE loan_waiver_request (
  id               uuid PRIMARY KEY,
  loan_id          uuid NOT NULL REFERENCES loan (id),
  component        text NOT NULL CHECK (component IN ('interest', 'fee', 'penalty')),
  amount           numeric(20, 4) NOT NULL CHECK (amount > 0),
  instalment       integer,
  value_date       date NOT NULL,
  reason           text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by     text NOT NULL,
  requested_at     timestamptz(6) NOT NULL,
  decided_by       text,
  decided_at       timestamptz(6),
  decision_reason  text,
  transaction_id   uuid REFERENCES loan_transaction (id),
  CHECK (decided_by IS NULL OR decided_by <> requested_by),
  CHECK ((status = 'pending') = (decided_by IS NULL))
);
CREATE INDEX loan_waiver_request_queue_idx ON loan_waiver_request (status, requested_at);
