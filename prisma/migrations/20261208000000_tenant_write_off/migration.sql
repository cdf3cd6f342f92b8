-- lendgraph:scope=tenant
-- Write-off, charge-off and recovery (docs/write-off.md): a write-off is a transaction of the loan's own, in full
-- (no amount: everything owed is given up) or in part (an amount of one component); money after a write-off in
-- full is a recovery, credited to recovery income.

ALTER TABLE loan_transaction DROP CONSTRAINT loan_transaction_kind_check;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_kind_check
  CHECK (kind IN ('repayment', 'prepayment', 'payoff', 'refund', 'reversal', 'charge', 'waiver', 'tranche', 'writeOff'));
ALTER TABLE loan_transaction DROP CONSTRAINT loan_transaction_component_check;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_component_check
  CHECK (component IN ('principal', 'interest', 'fee', 'penalty'));
-- A reversal carries no amount, a write-off in full neither (nor a component); every other kind carries one.
DO $$
DECLARE c text;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
            WHERE conrelid = 'loan_transaction'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%amount IS NULL%'
  LOOP
    EXECUTE format('ALTER TABLE loan_transaction DROP CONSTRAINT %I', c);
  END LOOP;
END $$;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_amount_by_kind_check CHECK (CASE kind
  WHEN 'reversal' THEN amount IS NULL
  WHEN 'writeOff' THEN (amount IS NULL) = (component IS NULL)
  ELSE amount IS NOT NULL END);

-- New roles in the chart, each at the first free code of a few, so a tenant's own chart never fails the migration.
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Recoveries of loans written off', 'income', 'recoveryIncome', 'migration', now()
  FROM (VALUES (1, '4300'), (2, '4301'), (3, '4309'), (4, '4300.REC')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'recoveryIncome')
 ORDER BY v.rank LIMIT 1;
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Interest written off', 'expense', 'interestWrittenOff', 'migration', now()
  FROM (VALUES (1, '5110'), (2, '5111'), (3, '5119'), (4, '5110.WOI')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'interestWrittenOff')
 ORDER BY v.rank LIMIT 1;
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Fees and penalties written off', 'expense', 'chargesWrittenOff', 'migration', now()
  FROM (VALUES (1, '5120'), (2, '5121'), (3, '5129'), (4, '5120.WOC')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'chargesWrittenOff')
 ORDER BY v.rank LIMIT 1;
UPDATE loan
   SET accounts = accounts
       || jsonb_build_object('recoveryIncome', (SELECT code FROM ledger_account WHERE role = 'recoveryIncome'))
       || jsonb_build_object('interestWrittenOff', (SELECT code FROM ledger_account WHERE role = 'interestWrittenOff'))
       || jsonb_build_object('chargesWrittenOff', (SELECT code FROM ledger_account WHERE role = 'chargesWrittenOff'))
 WHERE NOT accounts ? 'recoveryIncome';

-- A write-off by hand: one person asks, another decides (approved, it posts the write-off).
CREATE TABLE loan_write_off_request (
  id               uuid PRIMARY KEY,
  loan_id          uuid NOT NULL REFERENCES loan (id),
  value_date       date NOT NULL,
  -- Both null: a write-off in full; both set: that much of that component.
  component        text CHECK (component IN ('principal', 'interest', 'fee', 'penalty')),
  amount           numeric(20, 4) CHECK (amount > 0),
  reason           text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by     text NOT NULL,
  requested_at     timestamptz(6) NOT NULL,
  decided_by       text,
  decided_at       timestamptz(6),
  decision_reason  text,
  transaction_id   uuid REFERENCES loan_transaction (id),
  CHECK ((component IS NULL) = (amount IS NULL))
);
CREATE INDEX loan_write_off_request_queue_idx ON loan_write_off_request (status, requested_at);
CREATE INDEX loan_write_off_request_loan_idx ON loan_write_off_request (loan_id);

-- Charge-off by rule: end of day writes a loan off in full once it is this many days past due. A product's own
-- rule replaces the default (product_id null); a rule with no days charges nothing off.
CREATE TABLE charge_off_rule (
  id          uuid PRIMARY KEY,
  product_id  uuid UNIQUE REFERENCES loan_product (id),
  at_days     integer CHECK (at_days BETWEEN 1 AND 3650),
  changed_by  text NOT NULL,
  changed_at  timestamptz(6) NOT NULL
);
CREATE UNIQUE INDEX charge_off_rule_default_idx ON charge_off_rule ((true)) WHERE product_id IS NULL;

-- A collection case on a loan written off closes for that reason.
ALTER TABLE collection_case DROP CONSTRAINT collection_case_close_reason_check;
ALTER TABLE collection_case ADD CONSTRAINT collection_case_close_reason_check CHECK (close_reason IN ('cured', 'loanClosed', 'writtenOff'));
