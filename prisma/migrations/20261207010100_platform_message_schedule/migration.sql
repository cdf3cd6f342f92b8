-- lendgraph:scope=platform
-- When each tenant next has a message to send: the dispatcher reads this, not every tenant's schema.
CREATE TABLE message_schedule (
  tenant_id  uuid PRIMARY KEY REFERENCES tenant (id) ON DELETE CASCADE,
  next_at    timestamptz(6) NOT NULL
);
CREATE INDEX message_schedule_next_idx ON message_schedule (next_at);
