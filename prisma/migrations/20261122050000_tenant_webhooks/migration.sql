-- lendgraph:scope=tenant
-- Partner webhooks: endpoints subscribe to event types; every settled event that an endpoint may see becomes a
-- delivery (created in the settle pass that numbered the event, with its job), tried and retried by the job
-- queue, each attempt logged.

CREATE TABLE webhook_endpoint (
  id            uuid PRIMARY KEY,
  -- The partner (code) that owns it; null for the lender's own endpoints, which receive every event.
  partner_code  text,
  url           text NOT NULL,
  -- Exact event types, prefixes such as 'application.*', or '*'.
  event_types   text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
  -- The signing secret, sealed (AES-256-GCM) with the platform's data key; shown to its owner once.
  secret_sealed text NOT NULL,
  active        boolean NOT NULL DEFAULT true,
  created_by    text NOT NULL,
  created_at    timestamptz(6) NOT NULL,
  updated_at    timestamptz(6) NOT NULL
);
CREATE INDEX webhook_endpoint_partner_idx ON webhook_endpoint (partner_code) WHERE active;

CREATE TABLE webhook_delivery (
  id                uuid PRIMARY KEY,
  endpoint_id       uuid NOT NULL REFERENCES webhook_endpoint (id),
  partner_code      text,
  event_id          uuid NOT NULL,
  event_seq         bigint NOT NULL,
  event_type        text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'retrying', 'succeeded', 'dead')),
  attempts          integer NOT NULL DEFAULT 0,
  last_status_code  integer,
  last_error        text,
  -- A replay is a new delivery of the same event to the same endpoint, pointing at the one it repeats.
  replay_of         uuid REFERENCES webhook_delivery (id),
  created_at        timestamptz(6) NOT NULL,
  updated_at        timestamptz(6) NOT NULL,
  delivered_at      timestamptz(6)
);
CREATE INDEX webhook_delivery_log_idx ON webhook_delivery (created_at DESC, id DESC);
CREATE INDEX webhook_delivery_endpoint_idx ON webhook_delivery (endpoint_id, created_at DESC);

CREATE TABLE webhook_attempt (
  delivery_id   uuid NOT NULL REFERENCES webhook_delivery (id),
  attempt       integer NOT NULL,
  attempted_at  timestamptz(6) NOT NULL,
  status_code   integer,
  error         text,
  duration_ms   integer NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
