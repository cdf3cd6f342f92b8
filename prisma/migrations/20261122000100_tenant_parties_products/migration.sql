-- lendgraph:scope=tenant
-- First tables of a tenant's own schema. Runs with search_path set to that schema: never qualify names here.
CREATE TABLE party (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('PERSON', 'BUSINESS')),
  legal_name  text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 300),
  email       text,
  phone       text,
  created_at  timestamptz(6) NOT NULL DEFAULT now(),
  updated_at  timestamptz(6) NOT NULL DEFAULT now()
);

CREATE TABLE loan_product (
  id                uuid PRIMARY KEY,
  code              text NOT NULL UNIQUE,
  name              text NOT NULL,
  currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  min_amount        numeric(20, 4) NOT NULL CHECK (min_amount > 0),
  max_amount        numeric(20, 4) NOT NULL,
  min_tenor_months  integer NOT NULL CHECK (min_tenor_months > 0),
  max_tenor_months  integer NOT NULL,
  annual_rate       numeric(9, 6) NOT NULL CHECK (annual_rate >= 0),
  created_at        timestamptz(6) NOT NULL DEFAULT now(),
  CHECK (max_amount >= min_amount),
  CHECK (max_tenor_months >= min_tenor_months)
);
