// Registering a partner: its row in the tenant's schema and its client in the identity provider, together. The
// identity call runs inside the command's database transaction, so a provider failure leaves no row (nor event,
// nor audit record); a database failure after it leaves a client that a retry re-uses (registration there is
// idempotent). Client secrets are shown once and never stored: a repeat — the same key, or the same code and
// details without one, or one sent at the same moment (it waits on the code, holdName) — returns none, and never
// reaches the identity provider, which would hand the secret out again.
import { randomUUID } from 'node:crypto';
import type { PartnerIdentity } from '../tenancy/identity.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../commands/runCommand.js';
import { createUnlessRepeated, fieldsThatDiffer, holdName, NameTaken } from '../commands/namedCreation.js';
import { InvalidField } from '../errors.js';

export type PartnerKind = 'origination' | 'colending';

const CODE = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

export async function registerPartner(
  db: TenantDb,
  identity: PartnerIdentity,
  command: CommandContext,
  input: { code: string; name: string; kind: PartnerKind },
) {
  if (!CODE.test(input.code)) throw new InvalidField('code', 'code must be 3–40 lowercase letters, digits or hyphens');
  const name = input.name.trim();
  if (name.length === 0 || input.name.length > 200) throw new InvalidField('name', 'name must be 1–200 characters');
  const record = `partner ${input.code}`;
  return createUnlessRepeated(record, () => runCommand(db, { ...command, action: 'partner.register' }, async (tx) => {
    await holdName(tx, command.tenant, record);
    if (await tx.partner.findUnique({ where: { code: input.code } })) throw new NameTaken();
    const { clientId, secret } = await identity.registerPartner(command.tenant, input);
    const partner = await tx.partner.create({
      data: { id: randomUUID(), code: input.code, name, kind: input.kind, clientId, createdAt: command.now },
    });
    return {
      result: { partner, clientSecret: secret },
      audit: { entityType: 'Partner', entityId: partner.id, after: partner },
      events: [{ type: 'partner.registered', aggregateType: 'Partner', aggregateId: partner.id, partnerScope: partner.code, payload: { code: partner.code, kind: partner.kind, name: partner.name } }],
      replay: { partnerId: partner.id },
    };
  }, async (stored, tx) => ({ partner: await tx.partner.findUniqueOrThrow({ where: { id: String(stored['partnerId']) } }), clientSecret: null as string | null })), {
    existing: () => db.partner.findUniqueOrThrow({ where: { code: input.code } }),
    differences: (partner) => fieldsThatDiffer({ name: partner.name !== name, kind: partner.kind !== input.kind }),
    answer: (partner) => ({ partner, clientSecret: null }),
  });
}

export async function rotateSecret(db: TenantDb, identity: PartnerIdentity, command: CommandContext, code: string) {
  const existing = await db.partner.findUnique({ where: { code } });
  if (!existing) return null;
  return runCommand(db, { ...command, action: 'partner.rotateSecret' }, async (tx) => {
    const clientSecret = await identity.rotatePartnerSecret(existing.clientId, { tenant: command.tenant, code });
    const partner = await tx.partner.update({ where: { id: existing.id }, data: { secretRotatedAt: command.now } });
    return {
      result: { partner, clientSecret },
      audit: { entityType: 'Partner', entityId: partner.id, before: { secretRotatedAt: existing.secretRotatedAt }, after: { secretRotatedAt: partner.secretRotatedAt } },
      events: [{ type: 'partner.secretRotated', aggregateType: 'Partner', aggregateId: partner.id, partnerScope: partner.code, payload: { code: partner.code } }],
    };
  });
}
