-- lendgraph:scope=tenant
-- Settling with co-lending partners (docs/co-lending.md, "Settlement"): what the lender owes a partner from
-- collections is paid out by settlements, each a journal of its own (payable debited, cash credited) with the
-- partner's lines it pays, so no line is ever paid twice and a correction of a period already settled is paid (or
-- taken back) in the next settlement as an adjustment.

ALTER TABLE journal DROP CONSTRAINT journal_kind_check;
ALTER TABLE journal ADD CONSTRAINT journal_kind_check
  CHECK (kind IN ('disbursement', 'posting', 'accrual', 'correction', 'suspense', 'provision', 'settlement'));

-- How the lender settles with each partner: T+N, and the accounts its escrow transfer instruction names.
ALTER TABLE colending_partner_ledger
  ADD COLUMN settlement_lag_days integer NOT NULL DEFAULT 1 CHECK (settlement_lag_days BETWEEN 0 AND 30),
  ADD COLUMN escrow_account text,
  ADD COLUMN beneficiary_name text,
  ADD COLUMN beneficiary_account_sealed text,
  ADD COLUMN beneficiary_account_masked text,
  ADD COLUMN beneficiary_bank_code text,
  ADD COLUMN settlement_changed_by text,
  ADD COLUMN settlement_changed_at timestamptz(6);

CREATE TABLE colending_settlement (
  id             uuid PRIMARY KEY,
  partner_code   text NOT NULL REFERENCES partner (code),
  number         integer NOT NULL CHECK (number >= 1),
  currency       char(3) NOT NULL,
  -- Collections valued up to this date are paid (and corrections of any earlier date posted since the last).
  through_date   date NOT NULL,
  business_date  date NOT NULL,
  collections    numeric(20, 4) NOT NULL,
  adjustments    numeric(20, 4) NOT NULL,
  amount         numeric(20, 4) NOT NULL CHECK (amount > 0),
  journal_id     uuid NOT NULL REFERENCES journal (id),
  created_by     text NOT NULL,
  created_at     timestamptz(6) NOT NULL,
  UNIQUE (partner_code, number),
  UNIQUE (partner_code, currency, through_date),
  CHECK (amount = collections + adjustments)
);

-- The partner's payable lines a settlement pays: each once.
CREATE TABLE colending_settlement_line (
  journal_id     uuid NOT NULL,
  line           integer NOT NULL,
  settlement_id  uuid NOT NULL REFERENCES colending_settlement (id),
  loan_id        uuid NOT NULL REFERENCES loan (id),
  value_date     date NOT NULL,
  amount         numeric(20, 4) NOT NULL,
  -- A correction of what an earlier settlement had already covered (or posted as one).
  adjustment     boolean NOT NULL,
  PRIMARY KEY (journal_id, line),
  FOREIGN KEY (journal_id, line) REFERENCES journal_line (journal_id, line)
);
CREATE INDEX colending_settlement_line_settlement_idx ON colending_settlement_line (settlement_id, loan_id);
