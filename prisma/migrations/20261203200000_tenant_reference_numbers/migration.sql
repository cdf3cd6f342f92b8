-- lendgraph:scope=tenant
-- Loans and applications carry a number a person can read out on the phone (L-000123, A-000045). Each tenant's
-- schema has its own sequences, so every lender counts from 1; the number is taken in the transaction that
-- creates the row. A sequence never blocks two creations on each other; a creation that rolls back leaves a gap.

-- Loans had no number: existing ones are numbered in the order they were booked.
CREATE SEQUENCE loan_number;
ALTER TABLE loan ADD COLUMN number integer;
UPDATE loan SET number = numbered.n
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM loan) AS numbered
 WHERE loan.id = numbered.id;
SELECT setval('loan_number', COALESCE((SELECT max(number) FROM loan), 0) + 1, false);
ALTER TABLE loan ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX loan_number_key ON loan (number);

-- Applications were already numbered by application_number at creation and told as `reference` (APP-0000045):
-- that number is kept, never renumbered, since borrowers and partners have been given it. Rows whose reference
-- is not in that form follow, in the order they were created.
ALTER TABLE application ADD COLUMN number integer;
UPDATE application SET number = substring(reference FROM '^APP-([0-9]{1,9})$')::integer;
UPDATE application SET number = numbered.n
  FROM (SELECT id, (SELECT COALESCE(max(number), 0) FROM application) + row_number() OVER (ORDER BY created_at, id) AS n
          FROM application WHERE number IS NULL) AS numbered
 WHERE application.id = numbered.id;
SELECT setval('application_number', GREATEST((SELECT COALESCE(max(number), 0) FROM application),
  (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM application_number)) + 1, false);
ALTER TABLE application ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX application_number_key ON application (number);

-- Sync and dashboards page by last change and by creation time.
CREATE INDEX loan_updated_idx ON loan (updated_at, id);
CREATE INDEX application_updated_idx ON application (updated_at, id);
CREATE INDEX application_created_idx ON application (created_at, id);

-- Finding a loan or an application by the borrower or by the partner's own reference.
CREATE INDEX loan_borrower_idx ON loan (borrower_party_id) WHERE borrower_party_id IS NOT NULL;
CREATE INDEX loan_external_reference_idx ON loan (external_reference) WHERE external_reference IS NOT NULL;
CREATE INDEX application_external_reference_idx ON application (external_reference) WHERE external_reference IS NOT NULL;
