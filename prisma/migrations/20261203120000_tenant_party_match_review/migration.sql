-- lendgraph:scope=tenant
-- Party reconciliation that never links a submission to someone else's record on a partial match
-- (docs/origination-rules.md): each application keeps the applicant data its submitter sent, and a submission
-- that resembles an existing party without agreeing with it becomes a party of its own, held for staff review.

-- What the submitter sent for this party on this application (identifiers sealed): the checks, the decision's
-- input and the agreement read this, never another channel's data about the party. Rows from before carry none
-- and fall back to the party record.
ALTER TABLE application_party ADD COLUMN submitted jsonb;

CREATE TABLE party_match_review (
  id                 uuid PRIMARY KEY,
  -- The party created for the submission, and the existing party it resembled.
  party_id           uuid NOT NULL REFERENCES party (id),
  candidate_party_id uuid NOT NULL REFERENCES party (id),
  application_id     uuid REFERENCES application (id),
  -- What matched (`identifier`, `phone_and_email`) and what disagreed (`legal_name`, `date_of_birth`, `identifier`, ...).
  signals            text[] NOT NULL,
  conflicts          text[] NOT NULL,
  channel            text NOT NULL,
  partner            text,
  submitted_by       text NOT NULL,
  status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'distinct', 'same_person')),
  resolution_note    text,
  resolved_by        text,
  resolved_at        timestamptz(6),
  created_at         timestamptz(6) NOT NULL,
  CHECK (party_id <> candidate_party_id)
);
CREATE INDEX party_match_review_status_idx ON party_match_review (status, created_at, id);
CREATE INDEX party_match_review_party_idx ON party_match_review (party_id);
CREATE INDEX party_match_review_candidate_idx ON party_match_review (candidate_party_id);

-- A party joined to another by a member of staff resolving a review is recorded among its matches too.
ALTER TABLE party_match DROP CONSTRAINT party_match_reason_check;
ALTER TABLE party_match ADD CONSTRAINT party_match_reason_check CHECK (reason IN ('new', 'identifier', 'phone_and_email', 'review'));
