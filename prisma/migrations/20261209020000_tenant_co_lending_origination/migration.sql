-- lendgraph:scope=tenant
-- Co-lending from origination (docs/co-lending.md, "From application to loan"): an application the lender will
-- co-lend under an arrangement is offered at the blended rate, the offer keeping how it was blended, and the
-- partner's share is created with the loan at disbursement.
ALTER TABLE application ADD COLUMN co_lending_arrangement_id uuid REFERENCES colending_arrangement (id);
-- The arrangement's version, the partner's share and rate, and the lender's own rate the offer's rate blends.
ALTER TABLE application_offer ADD COLUMN co_lending jsonb;
