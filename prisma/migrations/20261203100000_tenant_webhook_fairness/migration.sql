-- lendgraph:scope=tenant
-- Webhook fairness: deliveries are sent per endpoint, by whichever worker holds the endpoint's turn, a few at a
-- time, so one endpoint's backlog or slow receiver never holds the others' workers. An endpoint that fails is
-- paused (growing with consecutive failures) without using its deliveries' attempts, and one failing without a
-- success for long enough is disabled until its owner enables it again.

ALTER TABLE webhook_endpoint
  -- Failures since the last success, and when that run of failures began.
  ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
  ADD COLUMN failing_since        timestamptz(6),
  -- No attempt before this (backoff after a failure).
  ADD COLUMN paused_until         timestamptz(6),
  -- A worker is sending to it until this (its turn; expires if the worker dies).
  ADD COLUMN busy_until           timestamptz(6),
  -- The earliest wake-up job queued for it, so a burst of events queues one wake-up, not one each.
  ADD COLUMN wake_at              timestamptz(6),
  -- Set when it was disabled for failing too long; cleared when enabled again.
  ADD COLUMN disabled_at          timestamptz(6);

-- Not before this (the delivery's own retry backoff); null: as soon as the endpoint's turn comes.
ALTER TABLE webhook_delivery ADD COLUMN next_attempt_at timestamptz(6);
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (endpoint_id, next_attempt_at) WHERE status IN ('pending', 'retrying');
