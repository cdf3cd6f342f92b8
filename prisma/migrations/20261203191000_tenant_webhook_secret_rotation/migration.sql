-- lendgraph:scope=tenant
-- Rotating an endpoint's signing secret without a gap: for a while after a rotation each delivery is signed with
-- both the new and the replaced secret (two `v1,` signatures, as Standard Webhooks allows), so a receiver can
-- switch to the new secret at its own pace. The replaced secret is sealed like the current one and forgotten at
-- the next rotation.
ALTER TABLE webhook_endpoint
  ADD COLUMN previous_secret_sealed     text,
  -- After this only the current secret signs.
  ADD COLUMN previous_secret_expires_at timestamptz(6),
  ADD COLUMN secret_rotated_at          timestamptz(6);
