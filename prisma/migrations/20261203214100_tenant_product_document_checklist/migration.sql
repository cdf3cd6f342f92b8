-- lendgraph:scope=tenant
-- A product's document checklist becomes versioned data the lender sets through the API: each version lists the
-- kinds of document asked for, required (disbursement waits for them) or not. An application keeps the version it
-- was created under, so a later change never moves the goalposts of one already under way.
CREATE TABLE product_document_checklist (
  id          uuid PRIMARY KEY,
  product_id  uuid NOT NULL REFERENCES loan_product (id),
  version     integer NOT NULL,
  items       jsonb NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz(6) NOT NULL,
  UNIQUE (product_id, version)
);

-- Null: created before checklists were versioned, so it keeps the product's fixed requirements
-- (product_document_requirement), as it always had.
ALTER TABLE application ADD COLUMN document_checklist_id uuid REFERENCES product_document_checklist (id);
