-- lendgraph:scope=tenant
-- Collections (docs/collections.md): end of day opens a case on a loan whose days past due reach its rule's
-- threshold, assigns it to a collector, closes it when the loan is cured or closed, and judges promises to pay
-- from the payments that arrived. Collectors log what they did on the case's timeline.

-- When a case opens and who works it: one rule per product, or the lender's default (no product) for products
-- without one. `collectors` is [{ "bucket": "31-60" | null, "staffMemberIds": [uuid, …] }]: a case in a bucket
-- goes in turn to the collectors named for it, else to those named for any bucket (null), else to nobody.
CREATE TABLE collection_rule (
  id            uuid PRIMARY KEY,
  product_id    uuid UNIQUE REFERENCES loan_product (id),
  open_at_days  integer NOT NULL CHECK (open_at_days BETWEEN 1 AND 3650),
  collectors    jsonb NOT NULL DEFAULT '[]',
  changed_by    text NOT NULL,
  changed_at    timestamptz(6) NOT NULL
);
-- At most one default rule.
CREATE UNIQUE INDEX collection_rule_default_idx ON collection_rule ((true)) WHERE product_id IS NULL;

-- Whose turn it is in each group of collectors a rule names: the next index into the group's list.
CREATE TABLE collection_turn (
  pool  text PRIMARY KEY,
  next  integer NOT NULL DEFAULT 0 CHECK (next >= 0)
);

CREATE TABLE collection_case (
  id                       uuid PRIMARY KEY,
  loan_id                  uuid NOT NULL REFERENCES loan (id),
  status                   text NOT NULL CHECK (status IN ('open', 'closed')),
  opened_on                date NOT NULL,
  opened_days_past_due     integer NOT NULL,
  opened_bucket            text,
  -- The bucket the case was last assigned for (a roll into another bucket can hand it to that bucket's collectors).
  assigned_bucket          text,
  assigned_to              uuid REFERENCES staff_member (id),
  assigned_on              date,
  -- Raised by one for every promise broken; a supervisor reads the escalated first.
  escalation_level         integer NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
  closed_on                date,
  close_reason             text CHECK (close_reason IN ('cured', 'loanClosed')),
  created_at               timestamptz(6) NOT NULL,
  updated_at               timestamptz(6) NOT NULL,
  CHECK ((status = 'closed') = (closed_on IS NOT NULL AND close_reason IS NOT NULL))
);
-- One open case per loan.
CREATE UNIQUE INDEX collection_case_open_idx ON collection_case (loan_id) WHERE status = 'open';
CREATE INDEX collection_case_loan_idx ON collection_case (loan_id, opened_on DESC);
CREATE INDEX collection_case_assigned_idx ON collection_case (assigned_to, status);
CREATE INDEX collection_case_status_idx ON collection_case (status, opened_on);

-- A case's timeline, in order: what end of day did to it (opened, assigned, promise judged, escalated, closed)
-- and what people did (assigned by hand, activities, promises made). Never changed once written.
CREATE TABLE collection_case_entry (
  id             uuid PRIMARY KEY,
  case_id        uuid NOT NULL REFERENCES collection_case (id),
  seq            bigint GENERATED ALWAYS AS IDENTITY,
  kind           text NOT NULL CHECK (kind IN ('opened', 'assigned', 'activity', 'promiseMade', 'promiseKept', 'promiseBroken',
                                               'promiseReplaced', 'escalated', 'closed')),
  business_date  date NOT NULL,
  at             timestamptz(6) NOT NULL,
  by             text NOT NULL,
  -- Activities: how the collector reached out, what came of it, and their note.
  channel        text CHECK (channel IN ('call', 'visit', 'message', 'note')),
  outcome        text,
  note           text CHECK (length(note) <= 2000),
  details        jsonb NOT NULL DEFAULT '{}',
  CHECK ((kind = 'activity') = (channel IS NOT NULL))
);
CREATE INDEX collection_case_entry_case_idx ON collection_case_entry (case_id, seq);

CREATE TABLE promise_to_pay (
  id             uuid PRIMARY KEY,
  case_id        uuid NOT NULL REFERENCES collection_case (id),
  loan_id        uuid NOT NULL REFERENCES loan (id),
  amount         numeric(20, 4) NOT NULL CHECK (amount > 0),
  currency       char(3) NOT NULL,
  made_on        date NOT NULL,
  promised_date  date NOT NULL CHECK (promised_date >= made_on),
  status         text NOT NULL CHECK (status IN ('pending', 'kept', 'broken', 'replaced')),
  -- What had arrived towards it when it was judged (kept or broken).
  paid           numeric(20, 4),
  judged_on      date,
  made_by        text NOT NULL,
  made_at        timestamptz(6) NOT NULL,
  CHECK ((status IN ('kept', 'broken')) = (judged_on IS NOT NULL))
);
-- One pending promise per case.
CREATE UNIQUE INDEX promise_to_pay_pending_idx ON promise_to_pay (case_id) WHERE status = 'pending';
CREATE INDEX promise_to_pay_loan_idx ON promise_to_pay (loan_id);
CREATE INDEX promise_to_pay_due_idx ON promise_to_pay (promised_date) WHERE status = 'pending';
CREATE INDEX promise_to_pay_judged_idx ON promise_to_pay (judged_on) WHERE judged_on IS NOT NULL;
