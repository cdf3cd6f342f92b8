-- lendgraph:scope=tenant
-- A lender's own settings for a currency it lends in. The cash rounding multiple is the smallest amount it
-- collects in that currency (100 for a whole-unit currency whose coins are not in use, 0.05 where cents are
-- rounded to five): a loan booked in the currency has its instalments in multiples of it (docs/currencies.md,
-- "Cash rounding"). A currency without a row rounds to its ISO 4217 minor unit.
CREATE TABLE currency_setting (
  currency               char(3)        PRIMARY KEY,
  cash_rounding_multiple numeric(20, 4) NOT NULL CHECK (cash_rounding_multiple > 0),
  updated_by             text           NOT NULL,
  updated_at             timestamptz(6) NOT NULL
);
