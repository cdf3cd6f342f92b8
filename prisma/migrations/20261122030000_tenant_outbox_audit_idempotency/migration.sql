-- lendgraph:scope=tenant
-- The event spine's transactional core: every command writes, in its own transaction, its outbox events and
-- its audit record; idempotency keys remember what a key already did.

-- Events to announce after commit (subscriptions, webhooks). `seq` is the resume cursor.
CREATE TABLE outbox_event (
  seq             bigserial PRIMARY KEY,
  id              uuid NOT NULL UNIQUE,
  type            text NOT NULL,
  aggregate_type  text NOT NULL,
  aggregate_id    text NOT NULL,
  tenant          text NOT NULL,
  -- The partner (code) the event concerns, if any: partner streams see only their own.
  partner_scope   text,
  occurred_at     timestamptz(6) NOT NULL,
  schema_version  integer NOT NULL DEFAULT 1,
  payload         jsonb NOT NULL
);
CREATE INDEX outbox_event_aggregate_idx ON outbox_event (aggregate_type, aggregate_id, seq);

-- The audit trail: append-only and hash-chained. Each row's hash covers its content and the previous row's
-- hash, computed here in the database so no writer can skip or forge the chain.
CREATE TABLE audit_record (
  seq          bigint PRIMARY KEY,
  occurred_at  timestamptz(6) NOT NULL,
  actor        text NOT NULL,
  roles        text[] NOT NULL,
  partner      text,
  client_id    text,
  action       text NOT NULL,
  entity_type  text NOT NULL,
  entity_id    text NOT NULL,
  before       jsonb,
  after        jsonb,
  request_id   text NOT NULL,
  prev_hash    text NOT NULL,
  hash         text NOT NULL
);

-- The canonical text a row's hash covers (jsonb's text form is deterministic). Used by the trigger and by
-- the verification query alike.
-- Functions pin the search_path they were created with (this tenant's schema, set by the migration runner), so
-- they resolve names the same whoever calls them.
CREATE FUNCTION audit_record_content(r audit_record) RETURNS text LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT jsonb_build_object(
    'seq', r.seq, 'occurredAt', to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'actor', r.actor, 'roles', to_jsonb(r.roles), 'partner', r.partner, 'clientId', r.client_id,
    'action', r.action, 'entityType', r.entity_type, 'entityId', r.entity_id,
    'before', r.before, 'after', r.after, 'requestId', r.request_id)::text
$$;

CREATE FUNCTION audit_record_chain() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  last audit_record;
BEGIN
  -- One writer at a time per tenant: the chain has no forks.
  PERFORM pg_advisory_xact_lock(hashtext('lendgraph:audit:' || TG_TABLE_SCHEMA));
  SELECT * INTO last FROM audit_record ORDER BY seq DESC LIMIT 1;
  NEW.seq := COALESCE(last.seq, 0) + 1;
  NEW.prev_hash := COALESCE(last.hash, repeat('0', 64));
  NEW.hash := encode(sha256(convert_to(NEW.prev_hash || audit_record_content(NEW), 'UTF8')), 'hex');
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_record_chain BEFORE INSERT ON audit_record FOR EACH ROW EXECUTE FUNCTION audit_record_chain();

CREATE FUNCTION audit_record_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
  FOR EACH ROW EXECUTE FUNCTION audit_record_refuse_change();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
  FOR EACH STATEMENT EXECUTE FUNCTION audit_record_refuse_change();

-- Idempotency keys, per principal: the same key and input return the stored result; another input is a conflict.
CREATE TABLE idempotency_key (
  principal     text NOT NULL,
  key           text NOT NULL CHECK (length(key) BETWEEN 8 AND 200),
  operation     text NOT NULL,
  request_hash  text NOT NULL,
  response      jsonb NOT NULL,
  created_at    timestamptz(6) NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);
