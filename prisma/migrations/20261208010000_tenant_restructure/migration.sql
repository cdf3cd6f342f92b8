-- lendgraph:scope=tenant
-- Restructures (docs/restructure.md): new terms from a date as a transaction of the loan's own, the terms it sets
-- kept with it; one person asks, another decides.

ALTER TABLE loan_transaction DROP CONSTRAINT loan_transaction_kind_check;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_kind_check
  CHECK (kind IN ('repayment', 'prepayment', 'payoff', 'refund', 'reversal', 'charge', 'waiver', 'tranche', 'writeOff', 'restructure'));
-- A restructure's terms: { capitaliseArrears, annualRatePercent?, instalments?, holidayPeriods, holidayInterest }.
ALTER TABLE loan_transaction ADD COLUMN terms jsonb;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_terms_check CHECK ((kind = 'restructure') = (terms IS NOT NULL));
ALTER TABLE loan_transaction DROP CONSTRAINT loan_transaction_amount_by_kind_check;
ALTER TABLE loan_transaction ADD CONSTRAINT loan_transaction_amount_by_kind_check CHECK (CASE kind
  WHEN 'reversal' THEN amount IS NULL
  WHEN 'restructure' THEN amount IS NULL
  WHEN 'writeOff' THEN (amount IS NULL) = (component IS NULL)
  ELSE amount IS NOT NULL END);

-- The value date of the loan's latest restructure in effect, from its replay: classification reads it.
ALTER TABLE loan ADD COLUMN restructured_on date;
CREATE INDEX loan_restructured_idx ON loan (restructured_on) WHERE restructured_on IS NOT NULL;

CREATE TABLE loan_restructure_request (
  id               uuid PRIMARY KEY,
  loan_id          uuid NOT NULL REFERENCES loan (id),
  value_date       date NOT NULL,
  terms            jsonb NOT NULL,
  reason           text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by     text NOT NULL,
  requested_at     timestamptz(6) NOT NULL,
  decided_by       text,
  decided_at       timestamptz(6),
  decision_reason  text,
  transaction_id   uuid REFERENCES loan_transaction (id)
);
CREATE INDEX loan_restructure_request_queue_idx ON loan_restructure_request (status, requested_at);
CREATE INDEX loan_restructure_request_loan_idx ON loan_restructure_request (loan_id);
