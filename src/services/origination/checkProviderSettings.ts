// Which KYC, bureau, income and e-sign providers a lender uses, as versioned lender data managed the way its
// approval authority matrix is (approvalAuthorityMatrices.ts): drafted (never edited in place), put forward for
// activation by one person and activated by another, which retires the active version in the same transaction.
// It decides where borrowers' data goes, so maker-checker is not optional.
//
// Decisions:
// - Per kind: a provider name (`sandbox`, or a named adapter such as `http-adapter`), its settings (an endpoint
//   URL, https only, plus an optional account reference) and at most one secret. Secrets are sealed with the
//   platform's data key (tenancy/sealing.ts) before they are written, never returned, never in audit or events:
//   the API shows only whether one is set and its last four characters.
// - A tenant with no active version keeps the platform's `tenant.check_providers` column (checkProviders.ts).
// - This build implements only the sandbox providers. An active version naming another adapter for a check
//   does NOT fall back to the sandbox: submitting and assessing are refused with CONFLICT PROVIDER_NOT_IMPLEMENTED
//   naming the kinds and adapters missing, nothing written (checkProviders.ts, assertChecksCanRun and
//   providersForAssessment).
import { isIP } from 'node:net';
import { refusedAddress, refusedHostName, type DestinationPolicy } from '../../outbound/destination.js';
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { sealSecret, type DataKey } from '../../tenancy/sealing.js';
import type { SetupStatus } from './approvalAuthorityMatrices.js';
import { isUuid } from '../../domain/globalId.js';

export type CheckProviderSettingsRow = Awaited<ReturnType<TenantDb['checkProviderSettings']['findUniqueOrThrow']>>;

export const PROVIDER_KINDS = ['kyc', 'bureau', 'income', 'esign'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** What is stored per kind (never a secret). */
export interface StoredProvider {
  provider: string;
  endpointUrl: string | null;
  accountReference: string | null;
  /** The last four characters of its secret, when one is set (all the API ever shows of it). */
  secretLastFour: string | null;
}

export interface ProviderInput {
  kind: string;
  provider: string;
  endpointUrl?: string | null;
  accountReference?: string | null;
  secret?: string | null;
}

const PROVIDER_NAME = /^[a-z][a-z0-9-]{1,39}$/;

/** Validates the drafted providers; errors name the input field (`input.providers[1].endpointUrl`). */
export function providersFromInput(
  input: readonly ProviderInput[], destinations: Pick<DestinationPolicy, 'allowPrivate'> = { allowPrivate: false },
): { providers: Record<string, StoredProvider>; secrets: Record<string, string> } {
  const providers: Record<string, StoredProvider> = {};
  const secrets: Record<string, string> = {};
  input.forEach((entry, index) => {
    const at = (field: string) => `providers[${index}].${field}`;
    if (!(PROVIDER_KINDS as readonly string[]).includes(entry.kind)) throw new InvalidField(at('kind'), `the kind must be one of ${PROVIDER_KINDS.join(', ')}`);
    if (Object.hasOwn(providers, entry.kind)) throw new InvalidField(at('kind'), `${entry.kind} is listed twice`);
    const provider = entry.provider?.trim() ?? '';
    if (!provider) throw new InvalidField(at('provider'), 'name the provider: `sandbox` or an adapter such as `http-adapter`');
    if (!PROVIDER_NAME.test(provider)) throw new InvalidField(at('provider'), 'a provider name is lower-case letters, digits and dashes (2 to 40)');
    const endpointUrl = entry.endpointUrl?.trim() || null;
    const accountReference = entry.accountReference?.trim() || null;
    const secret = entry.secret ?? null;
    if (provider === 'sandbox') {
      if (secret) throw new InvalidField(at('secret'), 'the sandbox takes no secret');
    } else {
      if (!endpointUrl) throw new InvalidField(at('endpointUrl'), `${provider} needs its endpoint URL`);
      let url: URL;
      try { url = new URL(endpointUrl); } catch { throw new InvalidField(at('endpointUrl'), 'not a URL'); }
      if (url.protocol !== 'https:') throw new InvalidField(at('endpointUrl'), 'a provider\'s endpoint must be https');
      if (url.username || url.password) throw new InvalidField(at('endpointUrl'), 'put credentials in `secret`, not in the URL');
      // Held to the platform's outbound rule when written, as a webhook endpoint is: an address inside our network
      // (or a name that can only be one) is refused before it is ever asked.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(host) ? refusedAddress(host, destinations) : refusedHostName(host, destinations);
      if (refused) throw new InvalidField(at('endpointUrl'), refused);
    }
    if (endpointUrl && endpointUrl.length > 500) throw new InvalidField(at('endpointUrl'), 'at most 500 characters');
    if (accountReference && accountReference.length > 100) throw new InvalidField(at('accountReference'), 'at most 100 characters');
    if (secret !== null && (secret.length < 8 || secret.length > 4096)) throw new InvalidField(at('secret'), 'a secret is 8 to 4096 characters');
    providers[entry.kind] = { provider, endpointUrl, accountReference, secretLastFour: secret ? secret.slice(-4) : null };
    if (secret) secrets[entry.kind] = secret;
  });
  const missing = PROVIDER_KINDS.filter((kind) => !Object.hasOwn(providers, kind));
  if (missing.length > 0) throw new InvalidField('providers', `every kind needs a provider; missing: ${missing.join(', ')}`);
  return { providers, secrets };
}

export function storedProviders(row: CheckProviderSettingsRow): Record<ProviderKind, StoredProvider> {
  return row.providers as unknown as Record<ProviderKind, StoredProvider>;
}

function shown(row: CheckProviderSettingsRow) {
  return {
    version: row.version, status: row.status, createdBy: row.createdBy,
    activationRequestedBy: row.activationRequestedBy, activatedBy: row.activatedBy, activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

async function lockSettings(tx: Tx, tenant: string): Promise<void> {
  await tenantSql(tx, schemaForSlug(tenant)).execute((schema) => `LOCK TABLE ${schema}.check_provider_settings IN SHARE ROW EXCLUSIVE MODE`);
}

async function findSettings(db: TenantDb | Tx, settingsId: string): Promise<CheckProviderSettingsRow> {
  const row = isUuid(settingsId) ? await db.checkProviderSettings.findUnique({ where: { id: settingsId } }) : null;
  if (!row) throw new InvalidField('settingsId', 'no check provider settings version with that id');
  return row;
}

function expectStatus(row: CheckProviderSettingsRow, status: SetupStatus, doing: string): void {
  if (row.status !== status) {
    throw new AppError('CONFLICT', `version ${row.version} is ${statusInWords(row.status)}: only a ${statusInWords(status)} version can be ${doing}`, {
      field: inputPath('settingsId'), reason: 'ILLEGAL_TRANSITION', from: row.status,
    });
  }
}

/** The tenant's active version, or null (then the platform column applies). */
export function activeCheckProviderSettings(db: TenantDb | Tx): Promise<CheckProviderSettingsRow | null> {
  return db.checkProviderSettings.findFirst({ where: { status: 'active' } });
}

/** A new draft version (the latest + 1); secrets are sealed before anything is written. */
export async function draftCheckProviderSettings(
  db: TenantDb, dataKey: DataKey, command: CommandContext, input: readonly ProviderInput[], destinations?: Pick<DestinationPolicy, 'allowPrivate'>,
): Promise<CheckProviderSettingsRow> {
  const { providers, secrets } = providersFromInput(input, destinations);
  const sealed = Object.fromEntries(Object.entries(secrets).map(([kind, secret]) => [kind, sealSecret(dataKey, secret)]));
  return runCommand(db, { ...command, action: 'checkProviderSettings.draft' }, async (tx) => {
    await lockSettings(tx, command.tenant);
    const latest = await tx.checkProviderSettings.aggregate({ _max: { version: true } });
    const version = (latest._max.version ?? 0) + 1;
    const row = await tx.checkProviderSettings.create({
      data: { id: randomUUID(), version, status: 'draft', providers: providers as unknown as object, sealedSecrets: sealed, createdBy: command.actor.subject, createdAt: command.now },
    });
    return {
      result: row,
      audit: { entityType: 'CheckProviderSettings', entityId: row.id, after: { ...shown(row), providers: row.providers } },
      events: [{ type: 'checkProviderSettings.drafted', aggregateType: 'CheckProviderSettings', aggregateId: row.id, payload: shown(row) }],
    };
  });
}

/** The maker's half: a draft is put forward for activation. */
export async function requestCheckProviderSettingsActivation(db: TenantDb, command: CommandContext, settingsId: string): Promise<CheckProviderSettingsRow> {
  await findSettings(db, settingsId);
  return runCommand(db, { ...command, action: 'checkProviderSettings.requestActivation' }, async (tx) => {
    await lockSettings(tx, command.tenant);
    const before = await tx.checkProviderSettings.findUniqueOrThrow({ where: { id: settingsId } });
    expectStatus(before, 'draft', 'put forward for activation');
    const after = await tx.checkProviderSettings.update({ where: { id: settingsId }, data: { status: 'pending_activation', activationRequestedBy: command.actor.subject } });
    return {
      result: after,
      audit: { entityType: 'CheckProviderSettings', entityId: settingsId, before: shown(before), after: shown(after) },
      events: [{ type: 'checkProviderSettings.activationRequested', aggregateType: 'CheckProviderSettings', aggregateId: settingsId, payload: shown(after) }],
    };
  });
}

/** The checker's half: neither who drafted nor who asked may approve (FORBIDDEN MAKER_IS_CHECKER). */
export async function decideCheckProviderSettingsActivation(
  db: TenantDb, command: CommandContext, settingsId: string, approve: boolean, reason: string | null,
): Promise<CheckProviderSettingsRow> {
  if (!approve && !reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
  await findSettings(db, settingsId);
  return runCommand(db, { ...command, action: approve ? 'checkProviderSettings.approveActivation' : 'checkProviderSettings.rejectActivation' }, async (tx) => {
    await lockSettings(tx, command.tenant);
    const before = await tx.checkProviderSettings.findUniqueOrThrow({ where: { id: settingsId } });
    expectStatus(before, 'pending_activation', approve ? 'activated' : 'rejected');
    if (!approve) {
      const after = await tx.checkProviderSettings.update({ where: { id: settingsId }, data: { status: 'draft', activationRequestedBy: null } });
      return {
        result: after,
        audit: { entityType: 'CheckProviderSettings', entityId: settingsId, before: shown(before), after: { ...shown(after), reason } },
        events: [{ type: 'checkProviderSettings.activationRejected', aggregateType: 'CheckProviderSettings', aggregateId: settingsId, payload: { ...shown(after), rejectedBy: command.actor.subject, reason } }],
      };
    }
    const checker = command.actor.subject;
    refuseMakerAsChecker([before.createdBy, before.activationRequestedBy], checker, 'checkProviders', inputPath('settingsId'));
    const retiring = await tx.checkProviderSettings.findFirst({ where: { status: 'active' } });
    const retired = retiring ? await tx.checkProviderSettings.update({ where: { id: retiring.id }, data: { status: 'retired' } }) : null;
    const after = await tx.checkProviderSettings.update({ where: { id: settingsId }, data: { status: 'active', activatedBy: checker, activatedAt: command.now } });
    return {
      result: after,
      audit: [
        ...(retiring && retired ? [{ entityType: 'CheckProviderSettings', entityId: retiring.id, before: shown(retiring), after: shown(retired) }] : []),
        { entityType: 'CheckProviderSettings', entityId: settingsId, before: shown(before), after: shown(after) },
      ],
      events: [
        ...(retired ? [{ type: 'checkProviderSettings.retired', aggregateType: 'CheckProviderSettings', aggregateId: retired.id, payload: { ...shown(retired), replacedBy: after.version } }] : []),
        { type: 'checkProviderSettings.activated', aggregateType: 'CheckProviderSettings', aggregateId: settingsId, payload: { ...shown(after), replaced: retired?.version ?? null } },
      ],
    };
  });
}
