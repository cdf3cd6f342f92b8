-- lendgraph:scope=tenant
-- Origination partners' commissions (docs/commissions.md): a rule per partner (a percentage of the principal paid
-- out, capped per loan, clawed back when the loan is closed within so many days), accrued when a loan it brought is
-- booked, to a payable of its own; clawed back by end of day.

ALTER TABLE journal DROP CONSTRAINT journal_kind_check;
ALTER TABLE journal ADD CONSTRAINT journal_kind_check
  CHECK (kind IN ('disbursement', 'posting', 'accrual', 'correction', 'suspense', 'provision', 'settlement', 'commission'));

CREATE TABLE origination_commission_rule (
  partner_code      text PRIMARY KEY REFERENCES partner (code),
  percent           numeric(7, 4) NOT NULL CHECK (percent > 0 AND percent <= 100),
  cap               numeric(20, 4) CHECK (cap > 0),
  clawback_days     integer NOT NULL CHECK (clawback_days BETWEEN 0 AND 3650),
  -- The partner's payable and the lender's expense, opened with its first rule.
  payable_account   text NOT NULL REFERENCES ledger_account (code),
  expense_account   text NOT NULL REFERENCES ledger_account (code),
  changed_by        text NOT NULL,
  changed_at        timestamptz(6) NOT NULL
);

CREATE TABLE origination_commission (
  id                   uuid PRIMARY KEY,
  loan_id              uuid NOT NULL UNIQUE REFERENCES loan (id),
  partner_code         text NOT NULL REFERENCES partner (code),
  currency             char(3) NOT NULL,
  amount               numeric(20, 4) NOT NULL CHECK (amount > 0),
  -- The rule as it was: percent of what principal, capped at what, clawed back within how many days.
  percent              numeric(7, 4) NOT NULL,
  base                 numeric(20, 4) NOT NULL,
  cap                  numeric(20, 4),
  clawback_days        integer NOT NULL,
  accrued_on           date NOT NULL,
  journal_id           uuid NOT NULL REFERENCES journal (id),
  clawed_back_on       date,
  clawback_journal_id  uuid REFERENCES journal (id),
  CHECK ((clawed_back_on IS NULL) = (clawback_journal_id IS NULL))
);
CREATE INDEX origination_commission_partner_idx ON origination_commission (partner_code, accrued_on);
CREATE INDEX origination_commission_open_idx ON origination_commission (loan_id) WHERE clawed_back_on IS NULL;
