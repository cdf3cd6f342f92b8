-- lendgraph:scope=tenant
-- Origination, first part: parties reconciled by identifiers, and applications from every channel with their
-- applicants and guarantors. Identifiers are sealed (AES-256-GCM, src/tenancy/sealing.ts) and found by a keyed
-- hash (HMAC-SHA256 under a key derived from the data key and the tenant), so neither a dump nor another tenant
-- can read or correlate them.

ALTER TABLE party ADD COLUMN date_of_birth date;
-- { lines: [], city, region?, postalCode, country }: what identity checks match against.
ALTER TABLE party ADD COLUMN address jsonb;
-- Normalised contact details, for the strong match "same phone and same e-mail".
ALTER TABLE party ADD COLUMN email_normalised text;
ALTER TABLE party ADD COLUMN phone_normalised text;
UPDATE party SET email_normalised = lower(btrim(email)), phone_normalised = regexp_replace(phone, '[^0-9+]', '', 'g');
CREATE INDEX party_contact_idx ON party (phone_normalised, email_normalised);

CREATE TABLE party_identifier (
  id           uuid PRIMARY KEY,
  party_id     uuid NOT NULL REFERENCES party (id),
  kind         text NOT NULL CHECK (kind IN ('national_id', 'tax_id', 'passport')),
  country      char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  sealed       text NOT NULL,
  lookup_hash  text NOT NULL,
  -- What a masked read shows.
  last4        text NOT NULL,
  created_at   timestamptz(6) NOT NULL,
  UNIQUE (kind, country, lookup_hash)
);
CREATE INDEX party_identifier_party_idx ON party_identifier (party_id);

-- Every time an intake resolved to a party, and why: a new party, the same identifier, or the same phone and e-mail.
CREATE TABLE party_match (
  id          uuid PRIMARY KEY,
  party_id    uuid NOT NULL REFERENCES party (id),
  reason      text NOT NULL CHECK (reason IN ('new', 'identifier', 'phone_and_email')),
  detail      text,
  channel     text NOT NULL,
  matched_by  text NOT NULL,
  matched_at  timestamptz(6) NOT NULL
);
CREATE INDEX party_match_party_idx ON party_match (party_id, matched_at);

CREATE SEQUENCE application_number;

CREATE TABLE application (
  id                       uuid PRIMARY KEY,
  reference                text NOT NULL UNIQUE,
  product_id               uuid NOT NULL REFERENCES loan_product (id),
  product_version          integer NOT NULL,
  currency                 char(3) NOT NULL,
  amount                   numeric(20, 4) NOT NULL CHECK (amount > 0),
  number_of_repayments     integer NOT NULL CHECK (number_of_repayments > 0),
  purpose                  text NOT NULL,
  status                   text NOT NULL,
  channel                  text NOT NULL CHECK (channel IN ('staff', 'partner', 'bulk')),
  -- The origination partner (code) that submitted it; it sees this application and nothing else's.
  origination_partner      text,
  external_reference       text,
  declared_monthly_income  numeric(20, 4),
  employer                 text,
  monthly_debt_payments    numeric(20, 4),
  created_by               text NOT NULL,
  created_at               timestamptz(6) NOT NULL,
  updated_at               timestamptz(6) NOT NULL
);
CREATE INDEX application_partner_idx ON application (origination_partner, id) WHERE origination_partner IS NOT NULL;
CREATE INDEX application_status_idx ON application (status, id);

-- Parties play roles on applications; they are never copied.
CREATE TABLE application_party (
  application_id  uuid NOT NULL REFERENCES application (id),
  party_id        uuid NOT NULL REFERENCES party (id),
  role            text NOT NULL CHECK (role IN ('applicant', 'co_applicant', 'guarantor')),
  PRIMARY KEY (application_id, party_id, role)
);
CREATE INDEX application_party_party_idx ON application_party (party_id);

-- The application's status history: every transition, who made it and why.
CREATE TABLE application_transition (
  id              uuid PRIMARY KEY,
  application_id  uuid NOT NULL REFERENCES application (id),
  from_status     text,
  to_status       text NOT NULL,
  event           text NOT NULL,
  reason          text,
  actor           text NOT NULL,
  at              timestamptz(6) NOT NULL
);
CREATE INDEX application_transition_idx ON application_transition (application_id, at);

-- The loan an application became carries the application: decision, offer, parties and documents by reference.
ALTER TABLE loan ADD COLUMN application_id uuid UNIQUE REFERENCES application (id);
