-- lendgraph:scope=tenant
-- End of day (docs/end-of-day.md). Each loan keeps a position: its balances (already here), what falls due next,
-- how overdue it is, its delinquency bucket and regulatory class, the interest it holds in suspense and the
-- provision against it. Postings set the position from the loan's replay; end of day moves it forward with
-- set-based statements, and replays only the loans whose terms make something happen that day that those
-- statements do not do (`replay_on`).

-- Classification journals: interest moved to or released from suspense, provisions made or released.
ALTER TABLE journal DROP CONSTRAINT journal_kind_check;
ALTER TABLE journal ADD CONSTRAINT journal_kind_check
  CHECK (kind IN ('disbursement', 'posting', 'accrual', 'correction', 'suspense', 'provision'));

-- New roles in the chart, each at the first free code of a few, so a tenant's own chart never fails the migration.
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Interest in suspense', 'liability', 'interestSuspense', 'migration', now()
  FROM (VALUES (1, '2160'), (2, '2161'), (3, '2169'), (4, '2160.SUS')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'interestSuspense')
 ORDER BY v.rank LIMIT 1;
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Allowance for loan losses', 'asset', 'loanLossAllowance', 'migration', now()
  FROM (VALUES (1, '1190'), (2, '1191'), (3, '1199'), (4, '1190.ALW')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'loanLossAllowance')
 ORDER BY v.rank LIMIT 1;
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Loan loss provisions', 'expense', 'provisionExpense', 'migration', now()
  FROM (VALUES (1, '5200'), (2, '5201'), (3, '5209'), (4, '5200.PRV')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'provisionExpense')
 ORDER BY v.rank LIMIT 1;
UPDATE loan
   SET accounts = accounts
       || jsonb_build_object('interestSuspense', (SELECT code FROM ledger_account WHERE role = 'interestSuspense'))
       || jsonb_build_object('loanLossAllowance', (SELECT code FROM ledger_account WHERE role = 'loanLossAllowance'))
       || jsonb_build_object('provisionExpense', (SELECT code FROM ledger_account WHERE role = 'provisionExpense'))
 WHERE NOT accounts ? 'interestSuspense';

-- The position. Dates are business dates; amounts in the loan's currency.
ALTER TABLE loan
  -- The oldest instalment due before the position's date that still owes more than the tolerance; null when none.
  ADD COLUMN oldest_due_date date,
  -- Instalments not yet fallen due, in order, from the replay: due date, what becomes receivable when it falls
  -- due (interest, fee, penalty not yet recognised), and what it will then owe in all. `next_instalment` is the
  -- 1-based index of the next one to fall due; `next_due_date` its due date (null after maturity).
  ADD COLUMN upcoming_due_dates date[] NOT NULL DEFAULT '{}',
  ADD COLUMN upcoming_interest numeric(20, 4)[] NOT NULL DEFAULT '{}',
  ADD COLUMN upcoming_fee numeric(20, 4)[] NOT NULL DEFAULT '{}',
  ADD COLUMN upcoming_penalty numeric(20, 4)[] NOT NULL DEFAULT '{}',
  ADD COLUMN upcoming_owing numeric(20, 4)[] NOT NULL DEFAULT '{}',
  ADD COLUMN next_instalment integer NOT NULL DEFAULT 1,
  ADD COLUMN next_due_date date,
  -- The instalment that fell due last: its due date and what it still owed then.
  ADD COLUMN last_due_date date,
  ADD COLUMN last_due_owing numeric(20, 4) NOT NULL DEFAULT 0,
  -- The terms' underpayment tolerance: owing this much or less is not late.
  ADD COLUMN tolerance numeric(20, 4) NOT NULL DEFAULT 0,
  -- The terms' late fee grace days (null: no late fee) and whether overdue principal bears penalty interest.
  ADD COLUMN late_fee_grace_days integer,
  ADD COLUMN penalty_interest boolean NOT NULL DEFAULT false,
  -- The first business date on which end of day must replay the loan (a late fee, penalty interest, a fee on a
  -- date, held money drawn on, an instalment partly paid ahead); null when the set-based steps suffice.
  ADD COLUMN replay_on date,
  -- Delinquency and classification: the bucket by days past due, the loan's own class, the class it carries
  -- (the borrower's worst where the regime classifies borrowers), when it became non-performing.
  ADD COLUMN delinquency_bucket text,
  ADD COLUMN own_class text NOT NULL DEFAULT 'STANDARD',
  ADD COLUMN asset_class text NOT NULL DEFAULT 'STANDARD',
  ADD COLUMN class_since date,
  ADD COLUMN npa_since date,
  -- Interest receivable held in suspense (not income while the loan is non-performing) and the provision.
  ADD COLUMN interest_suspense numeric(20, 4) NOT NULL DEFAULT 0 CHECK (interest_suspense >= 0),
  ADD COLUMN provision numeric(20, 4) NOT NULL DEFAULT 0 CHECK (provision >= 0);

-- Loans booked before positions existed get theirs from a replay on the next end of day.
UPDATE loan SET replay_on = as_of WHERE status IN ('active', 'overdue');

CREATE INDEX loan_next_due_idx ON loan (next_due_date) WHERE status IN ('active', 'overdue');
CREATE INDEX loan_replay_on_idx ON loan (replay_on) WHERE replay_on IS NOT NULL;
-- The instalment that fell due yesterday and still owes: today it makes the loan overdue.
CREATE INDEX loan_last_due_idx ON loan (last_due_date) WHERE last_due_owing > 0 AND oldest_due_date IS NULL;
CREATE INDEX loan_overdue_idx ON loan (oldest_due_date) WHERE oldest_due_date IS NOT NULL;
-- What each step of end of day looks at, found without reading the whole book: classified loans, loans by bucket
-- (never bucketed, or in a bucket of overdue loans), loans brought up to date since a date, suspense held.
CREATE INDEX loan_classified_idx ON loan (id) WHERE own_class <> 'STANDARD' OR asset_class <> 'STANDARD';
CREATE INDEX loan_bucket_idx ON loan (delinquency_bucket);
CREATE INDEX loan_as_of_idx ON loan (as_of);
CREATE INDEX loan_suspense_idx ON loan (id) WHERE interest_suspense <> 0;
CREATE INDEX loan_provision_idx ON loan (id) WHERE provision <> 0 AND status NOT IN ('active', 'overdue');

-- How the lender counts delinquency and classifies loans: one row, versioned; every change audited.
CREATE TABLE delinquency_policy (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  version      integer NOT NULL,
  -- Buckets by days past due: [{ "name": "1-30", "fromDays": 1, "toDays": 30 }, …], covering 0 upwards.
  buckets      jsonb NOT NULL,
  -- The regulatory regime and its parameters (src/domain/servicing/classification.ts).
  regime       text NOT NULL,
  parameters   jsonb NOT NULL,
  -- Provision per class, in percent of the exposure.
  provisions   jsonb NOT NULL,
  changed_by   text NOT NULL,
  changed_at   timestamptz(6) NOT NULL
);
-- A product may count buckets its own way; null follows the policy's.
ALTER TABLE loan_product ADD COLUMN delinquency_buckets jsonb;

-- One run per business date: the date it brings the books to, in order, resumable step by step.
CREATE TABLE end_of_day_run (
  business_date  date PRIMARY KEY,
  -- The date before: a run starts only from the tenant's date, so runs are consecutive.
  previous_date  date NOT NULL UNIQUE,
  status         text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  started_by     text NOT NULL,
  started_at     timestamptz(6) NOT NULL,
  finished_at    timestamptz(6),
  attempts       integer NOT NULL DEFAULT 1,
  -- The last failure: { step, loanId?, message } — never a stack trace or SQL.
  failure        jsonb,
  -- What the run did: loans replayed, fell due, changed bucket or class, journals posted…
  totals         jsonb NOT NULL DEFAULT '{}'
);
-- Each step (or part of a step) of a run, recorded in the same transaction as its writes.
CREATE TABLE end_of_day_step (
  business_date  date NOT NULL REFERENCES end_of_day_run (business_date),
  step           text NOT NULL,
  part           integer NOT NULL DEFAULT 0,
  rows           integer NOT NULL DEFAULT 0,
  completed_at   timestamptz(6) NOT NULL,
  PRIMARY KEY (business_date, step, part)
);
-- What end of day changed for a loan's delinquency: the reports' history and the events' source.
CREATE TABLE loan_delinquency_change (
  loan_id         uuid NOT NULL REFERENCES loan (id),
  business_date   date NOT NULL,
  days_past_due   integer NOT NULL,
  bucket_before   text,
  bucket_after    text,
  class_before    text NOT NULL,
  class_after     text NOT NULL,
  PRIMARY KEY (loan_id, business_date)
);
CREATE INDEX loan_delinquency_change_date_idx ON loan_delinquency_change (business_date);
-- The book as each run left it, summed per product, currency, bucket and class: reports as of a past date.
CREATE TABLE end_of_day_summary (
  business_date         date NOT NULL REFERENCES end_of_day_run (business_date),
  product_id            uuid NOT NULL,
  currency              char(3) NOT NULL,
  -- Days past due in the bands portfolio at risk is read by: 0, 1-30, 31-60, 61-90, 91+.
  dpd_band              text NOT NULL,
  delinquency_bucket    text NOT NULL,
  asset_class           text NOT NULL,
  loans                 integer NOT NULL,
  principal_receivable  numeric(24, 4) NOT NULL,
  interest_receivable   numeric(24, 4) NOT NULL,
  fee_receivable        numeric(24, 4) NOT NULL,
  penalty_receivable    numeric(24, 4) NOT NULL,
  overdue_principal     numeric(24, 4) NOT NULL,
  interest_suspense     numeric(24, 4) NOT NULL,
  provision             numeric(24, 4) NOT NULL,
  PRIMARY KEY (business_date, product_id, currency, dpd_band, delinquency_bucket, asset_class)
);
