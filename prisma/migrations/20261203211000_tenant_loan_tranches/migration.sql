-- lendgraph:scope=tenant
-- Multi-tranche disbursement (docs/decisions.md, "Multi-tranche disbursement"): a loan is approved for an amount
-- and paid out in tranches. `principal` stays what was paid out at booking (the schedule is booked on it); the
-- loan gains the amount it is approved for and the plan of tranches it was booked with, and a later tranche is a
-- transaction of its own kind. A disbursement request carries the plan from the maker to the checker.
--
-- Loans booked before this were approved for what they paid out: their approved amount is their principal, and
-- they have no plan (one tranche, paid at booking).
ALTER TABLE loan ADD COLUMN approved_principal numeric(20, 4);
UPDATE loan SET approved_principal = principal;
ALTER TABLE loan ALTER COLUMN approved_principal SET NOT NULL;
ALTER TABLE loan ADD CONSTRAINT loan_approved_principal_check CHECK (approved_principal >= principal);
ALTER TABLE loan ADD COLUMN tranche_plan jsonb;

ALTER TABLE loan_transaction DROP CONSTRAINT loan_transaction_kind_check;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_kind_check
  CHECK (kind IN ('repayment', 'prepayment', 'payoff', 'refund', 'reversal', 'charge', 'waiver', 'tranche'));

ALTER TABLE disbursement_request ADD COLUMN tranche_plan jsonb;
