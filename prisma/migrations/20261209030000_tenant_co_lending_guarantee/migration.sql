-- lendgraph:scope=tenant
-- What a co-lending partner may see of a borrower, and the default loss guarantee invoked (docs/co-lending.md):
-- end of day buys a defaulted loan's share back from the partner at its principal, within the guarantee's cap.
ALTER TABLE colending_arrangement_version
  ADD COLUMN borrower_data text NOT NULL DEFAULT 'none' CHECK (borrower_data IN ('none', 'masked'));
ALTER TABLE loan_participation
  -- The business date the lender bought the share back under the guarantee; null while the partner holds it.
  ADD COLUMN until_date date,
  -- What the guarantee paid for it (the share's principal then), counted against the arrangement's cap.
  ADD COLUMN guarantee_paid numeric(20, 4) NOT NULL DEFAULT 0 CHECK (guarantee_paid >= 0),
  ADD CHECK (until_date IS NULL OR until_date >= from_date);
