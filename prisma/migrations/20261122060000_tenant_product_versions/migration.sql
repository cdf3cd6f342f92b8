-- lendgraph:scope=tenant
-- Products are versioned: each version holds complete loan terms (every field explicit, so a default changed in
-- code never changes a version) and the repayment allocation rule. New loans take the current version and keep
-- a copy; revising a product adds a version and never touches an earlier one or a booked loan.
CREATE TABLE loan_product_version (
  product_id  uuid NOT NULL REFERENCES loan_product (id),
  version     integer NOT NULL CHECK (version >= 1),
  terms       jsonb NOT NULL,
  allocation  jsonb NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz(6) NOT NULL,
  PRIMARY KEY (product_id, version)
);

CREATE FUNCTION loan_product_version_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  RAISE EXCEPTION 'product versions are never changed: revise the product instead (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER loan_product_version_append_only BEFORE UPDATE OR DELETE ON loan_product_version
  FOR EACH ROW EXECUTE FUNCTION loan_product_version_refuse_change();

ALTER TABLE loan_product ADD COLUMN current_version integer NOT NULL DEFAULT 1;

-- Products that exist already become version 1: monthly equal instalments on a declining balance at their rate
-- over their longest tenor, interest per period, Actual/365, half-even to the currency's minor unit, no grace,
-- no fees; penalties, fees, interest, then principal, oldest instalment first.
INSERT INTO loan_product_version (product_id, version, terms, allocation, created_by, created_at)
SELECT id, 1,
  jsonb_build_object(
    'currency', currency, 'annualRatePercent', trim_scale(annual_rate * 100)::text, 'interestType', 'declining-balance',
    'amortization', jsonb_build_object('kind', 'equal-instalments'), 'interestCalculation', 'per-repayment-period',
    'repaymentEvery', jsonb_build_object('every', 1, 'unit', 'months'), 'numberOfRepayments', max_tenor_months,
    'daysInYear', 365, 'daysInMonth', 'actual', 'grace', jsonb_build_object('principalPeriods', 0, 'interestPeriods', 0),
    'instalmentMultiple', CASE WHEN currency IN ('JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF') THEN '1' WHEN currency IN ('KWD', 'BHD', 'OMR', 'JOD', 'TND', 'LYD', 'IQD') THEN '0.001' ELSE '0.01' END,
    'roundingMode', 'half-even', 'fees', jsonb_build_object('perInstalment', '0', 'disbursement', NULL)),
  jsonb_build_object('order', jsonb_build_array('penalty', 'fee', 'interest', 'principal'), 'strategy', 'dueDateFirst',
    'future', 'payNextInstalments', 'futureOrder', jsonb_build_array('penalty', 'fee', 'interest', 'principal')),
  'migration', now()
FROM loan_product;
