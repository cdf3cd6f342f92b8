-- lendgraph:scope=tenant
-- Commands stop numbering their events and linking the audit chain inside their own transaction: that took the
-- tenant's lock from the first write to the commit's disk flush, so one tenant committed at most ~860 commands/s
-- on 2 cores (measured; issue 4). A command now records both unnumbered; settle_commits() numbers events and
-- links audit records afterwards, one short transaction at a time per tenant, in the order they became visible.
-- Readers still see seq in a gap-free commit order: every settle pass commits before the next one starts.

ALTER TABLE outbox_event DROP CONSTRAINT outbox_event_pkey;
ALTER TABLE outbox_event ALTER COLUMN seq DROP DEFAULT, ALTER COLUMN seq DROP NOT NULL;
-- The order commands recorded their events in; a command that holds an aggregate's row lock records before the
-- next command on that aggregate can, so settling in this order keeps each aggregate's events in order.
ALTER TABLE outbox_event ADD COLUMN recorded bigserial PRIMARY KEY;
CREATE UNIQUE INDEX outbox_event_seq_key ON outbox_event (seq);
CREATE INDEX outbox_event_unsettled_idx ON outbox_event (recorded) WHERE seq IS NULL;

DROP TRIGGER audit_record_chain ON audit_record;
DROP FUNCTION audit_record_chain();
ALTER TABLE audit_record DROP CONSTRAINT audit_record_pkey;
ALTER TABLE audit_record ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_record ADD COLUMN recorded bigserial PRIMARY KEY;
CREATE UNIQUE INDEX audit_record_seq_key ON audit_record (seq);
CREATE INDEX audit_record_unlinked_idx ON audit_record (recorded) WHERE seq IS NULL;

-- Still append-only. The one change allowed is settle_commits() linking a record into the chain once, its
-- content untouched; any later change to a linked record breaks its hash, which verification reports.
CREATE OR REPLACE FUNCTION audit_record_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
     AND (NEW.recorded, NEW.occurred_at, NEW.actor, NEW.roles, NEW.partner, NEW.client_id, NEW.action, NEW.entity_type,
          NEW.entity_id, NEW.before, NEW.after, NEW.request_id)
         IS NOT DISTINCT FROM
         (OLD.recorded, OLD.occurred_at, OLD.actor, OLD.roles, OLD.partner, OLD.client_id, OLD.action, OLD.entity_type,
          OLD.entity_id, OLD.before, OLD.after, OLD.request_id) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Numbers what has committed since the last pass and links the audit chain, under the tenant's settle lock
-- (taken before reading, so a pass sees every commit that preceded it). Returns the events it numbered, for the
-- caller to dispatch (webhooks) in this same transaction, and wakes the subscribers' feeds on commit.
CREATE FUNCTION settle_commits(max_events integer DEFAULT 5000) RETURNS SETOF outbox_event
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  event_row outbox_event;
  record_row audit_record;
  last_seq bigint;
  last_hash text;
  numbered integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('lendgraph:settle:' || current_schema()));
  FOR event_row IN SELECT * FROM outbox_event WHERE seq IS NULL ORDER BY recorded LIMIT max_events LOOP
    UPDATE outbox_event SET seq = nextval('outbox_event_seq_seq') WHERE recorded = event_row.recorded RETURNING * INTO event_row;
    numbered := numbered + 1;
    RETURN NEXT event_row;
  END LOOP;

  SELECT seq, hash INTO last_seq, last_hash FROM audit_record WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  last_seq := COALESCE(last_seq, 0);
  last_hash := COALESCE(last_hash, repeat('0', 64));
  FOR record_row IN SELECT * FROM audit_record WHERE seq IS NULL ORDER BY recorded LOOP
    record_row.seq := last_seq + 1;
    record_row.prev_hash := last_hash;
    record_row.hash := encode(sha256(convert_to(last_hash || audit_record_content(record_row), 'UTF8')), 'hex');
    UPDATE audit_record SET seq = record_row.seq, prev_hash = record_row.prev_hash, hash = record_row.hash
     WHERE recorded = record_row.recorded;
    last_seq := record_row.seq;
    last_hash := record_row.hash;
  END LOOP;

  IF numbered > 0 THEN
    PERFORM pg_notify('lendgraph_outbox', current_schema());
  END IF;
END
$$;
