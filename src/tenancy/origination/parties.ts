// One party per real person or business per tenant. An intake (an application's applicant or guarantor, from
// any channel) resolves to an existing party when it carries the same national/tax/passport identifier, or the
// same phone and the same e-mail, and records why; only otherwise is a party created. Identifiers are sealed
// at rest and found by a keyed hash that differs per tenant, so equal identifiers of two lenders' customers
// cannot be correlated from the database.
import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { AppError, InvalidField } from '../../errors.js';
import { dateOfBirthProblem } from '../../domain/origination/dateOfBirth.js';
import { openSecret, sealSecret, type DataKey } from '../sealing.js';
import type { Tx } from '../loans/postings.js';
import { dateColumn } from '../dateColumns.js';

export const IDENTIFIER_KINDS = ['national_id', 'tax_id', 'passport'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface IdentifierInput {
  kind: IdentifierKind;
  /** ISO 3166-1 alpha-2 of the issuing country. */
  country: string;
  value: string;
}

export interface PartyInput {
  kind: 'PERSON' | 'BUSINESS';
  legalName: string;
  email?: string | null;
  phone?: string | null;
  dateOfBirth?: string | null;
  address?: PostalAddress | null;
  identifiers?: IdentifierInput[] | null;
}

export interface PostalAddress {
  lines: string[];
  city: string;
  region?: string | null;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface ResolvedParty {
  partyId: string;
  reason: 'new' | 'identifier' | 'phone_and_email';
  detail: string | null;
}

/** The lookup key: derived from the data key, so it rotates with it and is never stored. */
function lookupKey(dataKey: DataKey): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, 'lendgraph', 'party-identifier-lookup', 32));
}

const normaliseIdentifier = (value: string) => value.toUpperCase().replace(/[\s.\-/]/g, '');

export function identifierHash(dataKey: DataKey, tenant: string, identifier: Omit<IdentifierInput, 'value'> & { value: string }): string {
  return createHmac('sha256', lookupKey(dataKey))
    .update(`${tenant}|${identifier.kind}|${identifier.country}|${normaliseIdentifier(identifier.value)}`)
    .digest('hex');
}

export function normaliseEmail(email: string, field: string): string {
  const trimmed = email.trim().toLowerCase();
  if (!/^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/.test(trimmed)) throw new InvalidField(field, `${field} is not an e-mail address`);
  return trimmed;
}

/** E.164, with the tenant's country for numbers written without one. */
export function normalisePhone(phone: string, field: string, defaultCountry?: string): string {
  const parsed = parsePhoneNumberFromString(phone, (defaultCountry ?? 'US') as never);
  if (!parsed || !parsed.isValid()) throw new InvalidField(field, `${field} is not a valid phone number`);
  return parsed.number;
}

export interface CheckedParty extends PartyInput {
  legalName: string;
  emailNormalised: string | null;
  phoneNormalised: string | null;
  identifiers: IdentifierInput[];
}

/** Validates an intake before any write, naming fields under `path` (e.g. `applicants.0.`); `asOf` is today's date. */
export function checkPartyInput(input: PartyInput, path: string, asOf: string): CheckedParty {
  const legalName = input.legalName.trim();
  if (legalName.length < 1 || legalName.length > 300) throw new InvalidField(`${path}legalName`, 'legalName must be 1–300 characters');
  if (input.kind !== 'PERSON' && input.kind !== 'BUSINESS') throw new InvalidField(`${path}kind`, 'kind must be PERSON or BUSINESS');
  const bornProblem = input.dateOfBirth != null ? dateOfBirthProblem(input.dateOfBirth, asOf) : null;
  if (bornProblem) throw new InvalidField(`${path}dateOfBirth`, bornProblem);
  const identifiers = (input.identifiers ?? []).map((identifier, k) => {
    const field = `${path}identifiers.${k}.`;
    if (!(IDENTIFIER_KINDS as readonly string[]).includes(identifier.kind)) throw new InvalidField(`${field}kind`, `kind must be one of ${IDENTIFIER_KINDS.join(', ')}`);
    const country = identifier.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) throw new InvalidField(`${field}country`, 'country must be an ISO 3166 two-letter code');
    const value = normaliseIdentifier(identifier.value);
    if (!/^[A-Z0-9]{4,40}$/.test(value)) throw new InvalidField(`${field}value`, 'value must be 4–40 letters and digits');
    return { kind: identifier.kind, country, value };
  });
  if (input.address) {
    const a = input.address;
    if (a.lines.length < 1 || a.lines.length > 4 || a.lines.some((l) => l.trim().length < 1 || l.length > 200)) throw new InvalidField(`${path}address.lines`, 'address.lines must be 1–4 lines of 1–200 characters');
    if (a.city.trim().length < 1 || a.city.length > 100) throw new InvalidField(`${path}address.city`, 'address.city must be 1–100 characters');
    if (a.postalCode.trim().length < 1 || a.postalCode.length > 20) throw new InvalidField(`${path}address.postalCode`, 'address.postalCode must be 1–20 characters');
    if (!/^[A-Z]{2}$/.test(a.country)) throw new InvalidField(`${path}address.country`, 'address.country must be an ISO 3166 two-letter code');
  }
  if (new Set(identifiers.map((i) => `${i.kind}|${i.country}`)).size !== identifiers.length) {
    throw new InvalidField(`${path}identifiers`, 'give each kind of identifier once per country');
  }
  return {
    ...input,
    legalName,
    identifiers,
    emailNormalised: input.email ? normaliseEmail(input.email, `${path}email`) : null,
    phoneNormalised: input.phone ? normalisePhone(input.phone, `${path}phone`) : null,
  };
}

/**
 * Finds or creates the party an intake is about, inside the caller's transaction. Concurrent intakes of the same
 * person queue on a transaction lock per identifier and per phone-and-e-mail, so they resolve to one party.
 */
export async function resolveParty(
  tx: Tx, dataKey: DataKey, context: { tenant: string; actor: string; now: Date; channel: string }, party: CheckedParty, path: string,
): Promise<ResolvedParty> {
  const hashes = party.identifiers.map((identifier) => ({ identifier, hash: identifierHash(dataKey, context.tenant, identifier) }));
  const contactKey = party.emailNormalised && party.phoneNormalised ? `${party.phoneNormalised}|${party.emailNormalised}` : null;
  for (const lock of [...hashes.map((h) => h.hash), ...(contactKey ? [`contact|${contactKey}`] : [])].sort()) {
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', `party|${context.tenant}|${lock}`);
  }
  const found = hashes.length === 0 ? [] : await tx.partyIdentifier.findMany({
    where: { OR: hashes.map(({ identifier, hash }) => ({ kind: identifier.kind, country: identifier.country, lookupHash: hash })) },
  });
  const owners = new Set(found.map((f) => f.partyId));
  if (owners.size > 1) throw new InvalidField(`${path}identifiers`, 'these identifiers belong to different parties: the lender must reconcile them first');
  let resolved: ResolvedParty;
  if (owners.size === 1) {
    const match = found[0]!;
    resolved = { partyId: match.partyId, reason: 'identifier', detail: `${match.kind} ${match.country}` };
  } else {
    const byContact = contactKey
      ? await tx.party.findFirst({ where: { phoneNormalised: party.phoneNormalised, emailNormalised: party.emailNormalised, kind: party.kind }, orderBy: { createdAt: 'asc' } })
      : null;
    if (byContact) {
      resolved = { partyId: byContact.id, reason: 'phone_and_email', detail: null };
    } else {
      const created = await tx.party.create({
        data: {
          id: randomUUID(), kind: party.kind, legalName: party.legalName, email: party.email?.trim() ?? null, phone: party.phoneNormalised,
          emailNormalised: party.emailNormalised, phoneNormalised: party.phoneNormalised,
          dateOfBirth: party.dateOfBirth ? dateColumn(party.dateOfBirth) : null, address: party.address ? (party.address as object) : undefined,
          createdAt: context.now, updatedAt: context.now,
        },
      });
      resolved = { partyId: created.id, reason: 'new', detail: null };
    }
  }
  // Identifiers the party did not have yet are added to it (none of them belongs to anyone else: checked above).
  const known = new Set(found.map((f) => `${f.kind}|${f.country}`));
  const fresh = hashes.filter(({ identifier }) => !known.has(`${identifier.kind}|${identifier.country}`));
  if (fresh.length > 0) {
    const existingKinds = await tx.partyIdentifier.findMany({ where: { partyId: resolved.partyId } });
    for (const { identifier, hash } of fresh) {
      if (existingKinds.some((e) => e.kind === identifier.kind && e.country === identifier.country)) {
        throw new AppError('CONFLICT', `this party already has another ${identifier.kind} for ${identifier.country}`, { field: `input.${path}identifiers` });
      }
      await tx.partyIdentifier.create({
        data: {
          id: randomUUID(), partyId: resolved.partyId, kind: identifier.kind, country: identifier.country, sealed: sealSecret(dataKey, identifier.value),
          lookupHash: hash, last4: identifier.value.slice(-4), createdAt: context.now,
        },
      });
    }
  }
  await tx.partyMatch.create({
    data: { id: randomUUID(), partyId: resolved.partyId, reason: resolved.reason, detail: resolved.detail, channel: context.channel, matchedBy: context.actor, matchedAt: context.now },
  });
  return resolved;
}

/** An identifier as most roles see it: kind, country and the last four characters. */
export const maskIdentifier = (last4: string) => `••••${last4}`;

export function revealIdentifier(dataKey: DataKey, sealed: string): string {
  return openSecret(dataKey, sealed);
}
