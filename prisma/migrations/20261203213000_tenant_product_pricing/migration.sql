-- lendgraph:scope=tenant
-- A product's pricing as versioned data: the annual rate by risk grade, the fees an offer carries and how long an
-- offer stands. Versions are drafted, never edited, and activated through maker-checker like credit policies.
CREATE TABLE product_pricing (
  id                      uuid PRIMARY KEY,
  product_id              uuid NOT NULL REFERENCES loan_product (id),
  version                 integer NOT NULL,
  status                  text NOT NULL CHECK (status IN ('draft', 'pending_activation', 'active', 'retired')),
  -- { "A": "9.9", "B": null }: percent a year by grade; null takes the product's current rate.
  rates_by_grade          jsonb NOT NULL,
  -- { "perInstalment": "0", "disbursement": { "amount": "50", "treatment": "deducted" } | null }, or null for the product's terms' fees.
  fees                    jsonb,
  offer_validity_days     integer NOT NULL CHECK (offer_validity_days BETWEEN 1 AND 366),
  created_by              text NOT NULL,
  created_at              timestamptz(6) NOT NULL,
  activation_requested_by text,
  activated_by            text,
  activated_at            timestamptz(6),
  UNIQUE (product_id, version),
  CHECK (activated_by IS NULL OR activated_by <> activation_requested_by)
);
-- One active pricing per product at a time.
CREATE UNIQUE INDEX product_pricing_active_idx ON product_pricing (product_id) WHERE status = 'active';

-- What an offer was priced with: earlier offers keep theirs whatever the product does later.
ALTER TABLE application_offer
  ADD COLUMN pricing_id uuid REFERENCES product_pricing (id),
  ADD COLUMN pricing_version integer,
  ADD COLUMN product_version integer;
