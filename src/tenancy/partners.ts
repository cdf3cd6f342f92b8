// Registering a partner: its row in the tenant's schema and its client in the identity provider, together. The
// identity call runs inside the database transaction, so a provider failure leaves no row; a database failure
// after it leaves a client that a retry re-uses (registration there is idempotent).
import { randomUUID } from 'node:crypto';
import type { PartnerIdentity } from './identity.js';
import type { TenantDb } from './tenantClients.js';

export type PartnerKind = 'origination' | 'colending';

export class PartnerInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PartnerInputError';
  }
}

export class PartnerExistsError extends Error {
  constructor(readonly code: string) {
    super(`partner ${code} is already registered; rotate its secret for a new one`);
    this.name = 'PartnerExistsError';
  }
}

const CODE = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

export async function registerPartner(
  db: TenantDb,
  identity: PartnerIdentity,
  tenant: string,
  input: { code: string; name: string; kind: PartnerKind },
  now: Date,
) {
  if (!CODE.test(input.code)) throw new PartnerInputError('code', 'code must be 3–40 lowercase letters, digits or hyphens');
  if (input.name.trim().length === 0 || input.name.length > 200) throw new PartnerInputError('name', 'name must be 1–200 characters');
  if (await db.partner.findUnique({ where: { code: input.code } })) throw new PartnerExistsError(input.code);
  return db.$transaction(async (tx) => {
    const { clientId, secret } = await identity.registerPartner(tenant, input);
    const partner = await tx.partner.create({
      data: { id: randomUUID(), code: input.code, name: input.name.trim(), kind: input.kind, clientId, createdAt: now },
    });
    return { partner, clientSecret: secret };
  }, { timeout: 30_000 });
}

export async function rotateSecret(db: TenantDb, identity: PartnerIdentity, code: string, now: Date) {
  const partner = await db.partner.findUnique({ where: { code } });
  if (!partner) return null;
  const clientSecret = await identity.rotatePartnerSecret(partner.clientId);
  const updated = await db.partner.update({ where: { id: partner.id }, data: { secretRotatedAt: now } });
  return { partner: updated, clientSecret };
}
