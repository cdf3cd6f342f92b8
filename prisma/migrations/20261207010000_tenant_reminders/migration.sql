-- lendgraph:scope=tenant
-- Reminders (docs/reminders.md): rules as data — days before an instalment falls due, or days past due, to a
-- channel and a template — turned into messages by end of day, sent through a notification provider outside the
-- borrower's quiet hours, never on a channel the borrower opted out of, every message kept on the loan.

-- The quiet hours every message waits out, in the borrower's time zone: one row.
CREATE TABLE reminder_settings (
  id            boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- Minutes after local midnight: no message goes from quiet_from until quiet_to (spanning midnight when from > to).
  quiet_from    integer NOT NULL CHECK (quiet_from BETWEEN 0 AND 1439),
  quiet_to      integer NOT NULL CHECK (quiet_to BETWEEN 0 AND 1439),
  changed_by    text NOT NULL,
  changed_at    timestamptz(6) NOT NULL
);

CREATE TABLE reminder_rule (
  id          uuid PRIMARY KEY,
  -- Null: every product.
  product_id  uuid REFERENCES loan_product (id),
  trigger     text NOT NULL CHECK (trigger IN ('beforeDue', 'pastDue')),
  days        integer NOT NULL CHECK (days BETWEEN 0 AND 365),
  channel     text NOT NULL CHECK (channel IN ('sms', 'email')),
  template    text NOT NULL CHECK (length(template) BETWEEN 1 AND 1000),
  position    integer NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz(6) NOT NULL
);

-- A borrower's say in how they are contacted: their time zone (the lender's when null) and the channels they
-- opted out of.
CREATE TABLE party_contact_preference (
  party_id      uuid PRIMARY KEY REFERENCES party (id),
  time_zone     text,
  opted_out     text[] NOT NULL DEFAULT '{}',
  changed_by    text NOT NULL,
  changed_at    timestamptz(6) NOT NULL
);

-- Every message about a loan, whatever became of it.
CREATE TABLE loan_message (
  id             uuid PRIMARY KEY,
  loan_id        uuid NOT NULL REFERENCES loan (id),
  -- The rule that made it, with what it was made for: one message per loan, trigger, days, channel and due date.
  rule_id        uuid REFERENCES reminder_rule (id) ON DELETE SET NULL,
  trigger        text NOT NULL,
  days           integer NOT NULL,
  due_date       date NOT NULL,
  business_date  date NOT NULL,
  channel        text NOT NULL CHECK (channel IN ('sms', 'email')),
  -- Where it goes, masked (the party's contact at the time it was made); null when the party has none.
  destination    text,
  body           text NOT NULL,
  status         text NOT NULL CHECK (status IN ('scheduled', 'sent', 'suppressed', 'failed')),
  -- Why it was not sent: optedOut, noContact, loanNotDue (paid or closed before it went), providerFailed.
  reason         text,
  send_after     timestamptz(6) NOT NULL,
  attempts       integer NOT NULL DEFAULT 0,
  provider       text,
  provider_reference text,
  sent_at        timestamptz(6),
  created_at     timestamptz(6) NOT NULL,
  updated_at     timestamptz(6) NOT NULL,
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE UNIQUE INDEX loan_message_once_idx ON loan_message (loan_id, trigger, days, channel, due_date);
CREATE INDEX loan_message_loan_idx ON loan_message (loan_id, created_at DESC);
CREATE INDEX loan_message_due_idx ON loan_message (send_after) WHERE status = 'scheduled';

-- What the sandbox notification provider was asked to send: a lender trying reminders reads it instead of a phone.
CREATE TABLE sandbox_notification (
  id           uuid PRIMARY KEY,
  message_id   uuid NOT NULL UNIQUE,
  channel      text NOT NULL,
  recipient    text NOT NULL,
  body         text NOT NULL,
  recorded_at  timestamptz(6) NOT NULL
);
