// One party per real person or business per tenant. An intake (an application's applicant, co-applicant or
// guarantor, from any channel) resolves to an existing party only on a strong, consistent match — the same
// national/tax/passport identifier, or the same phone and e-mail, with the same name and date of birth — and
// records why; a partial match becomes a party of its own held for staff review (docs/origination-rules.md). Identifiers are sealed
// at rest and found by a keyed hash that differs per tenant, so equal identifiers of two lenders' customers
// cannot be correlated from the database.
import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { InvalidField } from '../../errors.js';
import { dateOfBirthProblem } from '../../domain/origination/dateOfBirth.js';
import { isCountry } from '../../domain/countries.js';
import { openSecret, sealSecret, type DataKey } from '../../tenancy/sealing.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { holdUntilCommit } from '../../tenancy/tenantSql.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';

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
function lookupKey(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, 'lendgraph', 'party-identifier-lookup', 32));
}

const normaliseIdentifier = (value: string) => value.toUpperCase().replace(/[\s.\-/]/g, '');

function hashUnder(key: Buffer, tenant: string, identifier: Omit<IdentifierInput, 'value'> & { value: string }): string {
  return createHmac('sha256', lookupKey(key))
    .update(`${tenant}|${identifier.kind}|${identifier.country}|${normaliseIdentifier(identifier.value)}`)
    .digest('hex');
}

/** The identifier's lookup hash under the current data key: what is stored, and re-stored when the key rotates. */
export function identifierHash(dataKey: DataKey, tenant: string, identifier: Omit<IdentifierInput, 'value'> & { value: string }): string {
  return hashUnder(dataKey.current.key, tenant, identifier);
}

/** Its hashes under keys being rotated away from: rows not yet re-sealed still carry one of these. */
function previousIdentifierHashes(dataKey: DataKey, tenant: string, identifier: Omit<IdentifierInput, 'value'> & { value: string }): string[] {
  return dataKey.previous.map((p) => hashUnder(p.key, tenant, identifier));
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
    if (!isCountry(country)) throw new InvalidField(`${field}country`, 'country must be an assigned ISO 3166-1 two-letter code, such as US or IN');
    const value = normaliseIdentifier(identifier.value);
    if (!/^[A-Z0-9]{4,40}$/.test(value)) throw new InvalidField(`${field}value`, 'value must be 4–40 letters and digits');
    return { kind: identifier.kind, country, value };
  });
  if (input.address) {
    const a = input.address;
    if (a.lines.length < 1 || a.lines.length > 4 || a.lines.some((l) => l.trim().length < 1 || l.length > 200)) throw new InvalidField(`${path}address.lines`, 'address.lines must be 1–4 lines of 1–200 characters');
    if (a.city.trim().length < 1 || a.city.length > 100) throw new InvalidField(`${path}address.city`, 'address.city must be 1–100 characters');
    if (a.postalCode.trim().length < 1 || a.postalCode.length > 20) throw new InvalidField(`${path}address.postalCode`, 'address.postalCode must be 1–20 characters');
    if (!isCountry(a.country)) throw new InvalidField(`${path}address.country`, 'address.country must be an assigned ISO 3166-1 two-letter code in capitals, such as US or IN');
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

/** Names compared as people write them: letters and digits only, case, accents and punctuation aside. */
export function comparableName(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

type PartyRow = Awaited<ReturnType<Tx['party']['findUniqueOrThrow']>>;
type IdentifierRow = Awaited<ReturnType<Tx['partyIdentifier']['findUniqueOrThrow']>>;

/**
 * What disagrees between an intake and an existing party (empty: a consistent match). A person must carry the
 * party's date of birth — a party recorded without one can never be confirmed — and the same legal name; a
 * business the same legal name; and no identifier of a kind the party holds with another value.
 */
export function conflictsWith(party: CheckedParty, existing: PartyRow, existingIdentifiers: IdentifierRow[], matchedHashes: Set<string>, hashes: { identifier: IdentifierInput; hash: string }[]): string[] {
  const conflicts: string[] = [];
  if (existing.kind !== party.kind) conflicts.push('kind');
  if (comparableName(existing.legalName) !== comparableName(party.legalName)) conflicts.push('legal_name');
  if (party.kind === 'PERSON') {
    const born = existing.dateOfBirth ? businessDateOf(existing.dateOfBirth) : null;
    if (born === null || party.dateOfBirth == null || born !== party.dateOfBirth) conflicts.push('date_of_birth');
  }
  for (const { identifier, hash } of hashes) {
    if (matchedHashes.has(hash)) continue;
    if (existingIdentifiers.some((e) => e.kind === identifier.kind && e.country === identifier.country && e.lookupHash !== hash)) conflicts.push(`identifier:${identifier.kind}:${identifier.country}`);
  }
  return conflicts;
}

export interface IntakeContext {
  tenant: string;
  actor: string;
  now: Date;
  channel: string;
  partner: string | null;
  applicationId: string | null;
  /** Parties already linked in this role on the same application: never linked twice. */
  exclude?: ReadonlySet<string>;
}

/**
 * Finds or creates the party an intake is about, inside the caller's transaction (docs/origination-rules.md,
 * "Parties"). An intake joins an existing party only on a strong, consistent match: its identifier is the
 * party's, or its phone and e-mail are, AND its name and date of birth agree with the party's and none of its
 * identifiers contradicts one the party holds. An intake that resembles a party without agreeing with it becomes
 * a party of its own, with a review record for staff; the submitter is answered exactly as for a new person, so
 * it never learns that someone else matched. Concurrent intakes of the same person queue on a transaction lock
 * per identifier and per phone-and-e-mail, so they resolve to one party.
 */
export async function resolveParty(tx: Tx, dataKey: DataKey, context: IntakeContext, party: CheckedParty): Promise<ResolvedParty> {
  const hashes = party.identifiers.map((identifier) => ({ identifier, hash: identifierHash(dataKey, context.tenant, identifier) }));
  const contactKey = party.emailNormalised && party.phoneNormalised ? `${party.phoneNormalised}|${party.emailNormalised}` : null;
  for (const lock of [...hashes.map((h) => h.hash), ...(contactKey ? [`contact|${contactKey}`] : [])].sort()) {
    await holdUntilCommit(tx, schemaForSlug(context.tenant), `party|${context.tenant}|${lock}`);
  }
  // During a key rotation an identifier stored before it carries its hash under the previous key; it is read as
  // if it carried the current one, so matching works the same until re-sealing has rewritten it.
  const asCurrent = new Map(hashes.flatMap(({ identifier, hash }) => previousIdentifierHashes(dataKey, context.tenant, identifier).map((old) => [old, hash] as const)));
  const found = hashes.length === 0 ? [] : (await tx.partyIdentifier.findMany({
    where: { OR: hashes.flatMap(({ identifier, hash }) => [hash, ...previousIdentifierHashes(dataKey, context.tenant, identifier)]
      .map((lookupHash) => ({ kind: identifier.kind, country: identifier.country, lookupHash }))) },
  })).map((row) => ({ ...row, lookupHash: asCurrent.get(row.lookupHash) ?? row.lookupHash }));
  const byContact = contactKey
    ? await tx.party.findMany({ where: { phoneNormalised: party.phoneNormalised, emailNormalised: party.emailNormalised }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: 20 })
    : [];
  const idOwners = [...new Set(found.map((f) => f.partyId))];
  const candidateIds = [...new Set([...idOwners, ...byContact.map((p) => p.id)])];
  const candidates = candidateIds.length === 0 ? [] : await tx.party.findMany({ where: { id: { in: candidateIds } } });
  const identifiersOf = candidateIds.length === 0 ? [] : await tx.partyIdentifier.findMany({ where: { partyId: { in: candidateIds } } });
  const assess = (candidate: PartyRow) => {
    const matched = new Set(found.filter((f) => f.partyId === candidate.id).map((f) => f.lookupHash));
    const signals = [...(matched.size > 0 ? ['identifier'] : []), ...(byContact.some((p) => p.id === candidate.id) ? ['phone_and_email'] : [])];
    const conflicts = conflictsWith(party, candidate, identifiersOf.filter((i) => i.partyId === candidate.id), matched, hashes);
    // Identifiers of the intake that belong to some other party contradict this one too.
    for (const f of found) if (f.partyId !== candidate.id) conflicts.push(`identifier:${f.kind}:${f.country}`);
    if (context.exclude?.has(candidate.id)) conflicts.push('named_twice');
    return { candidate, matched, signals, conflicts };
  };
  const assessed = candidates.map(assess).sort((a, b) => a.candidate.createdAt.getTime() - b.candidate.createdAt.getTime() || a.candidate.id.localeCompare(b.candidate.id));
  // An identifier decides which party is meant; phone and e-mail only when no identifier matched anyone.
  const eligible = idOwners.length > 0 ? assessed.filter((a) => a.matched.size > 0) : assessed;
  const consistent = eligible.find((a) => a.conflicts.length === 0);

  let resolved: ResolvedParty;
  if (consistent) {
    const match = found.find((f) => f.partyId === consistent.candidate.id);
    resolved = match
      ? { partyId: consistent.candidate.id, reason: 'identifier', detail: `${match.kind} ${match.country}` }
      : { partyId: consistent.candidate.id, reason: 'phone_and_email', detail: null };
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
    // Resemblances go to staff; the submitter is told nothing of them.
    for (const { candidate, signals, conflicts } of eligible) {
      await tx.partyMatchReview.create({
        data: {
          id: randomUUID(), partyId: created.id, candidatePartyId: candidate.id, applicationId: context.applicationId, signals, conflicts: [...new Set(conflicts)],
          channel: context.channel, partner: context.partner, submittedBy: context.actor, status: 'open', createdAt: context.now,
        },
      });
    }
    if (eligible.length > 0) resolved = { ...resolved, detail: 'held for review: resembles another party' };
  }
  // Identifiers the party did not have yet are added to it; one that is someone else's stays with that party
  // (and with this application's own copy of what was sent).
  const owned = new Set(found.map((f) => f.lookupHash));
  const existing = identifiersOf.filter((i) => i.partyId === resolved.partyId);
  for (const { identifier, hash } of hashes) {
    if (owned.has(hash) || existing.some((e) => e.kind === identifier.kind && e.country === identifier.country)) continue;
    await tx.partyIdentifier.create({
      data: {
        id: randomUUID(), partyId: resolved.partyId, kind: identifier.kind, country: identifier.country, sealed: sealSecret(dataKey, identifier.value),
        lookupHash: hash, last4: identifier.value.slice(-4), createdAt: context.now,
      },
    });
  }
  await tx.partyMatch.create({
    data: { id: randomUUID(), partyId: resolved.partyId, reason: resolved.reason, detail: resolved.detail, channel: context.channel, matchedBy: context.actor, matchedAt: context.now },
  });
  return resolved;
}

/** What a submitter sent about one party on one application, kept with the application (identifiers sealed). */
export interface SubmittedParty {
  kind: 'PERSON' | 'BUSINESS';
  legalName: string;
  email: string | null;
  phone: string | null;
  dateOfBirth: string | null;
  address: PostalAddress | null;
  identifiers: { kind: IdentifierKind; country: string; sealed: string; last4: string }[];
}

export function submittedParty(dataKey: DataKey, party: CheckedParty): SubmittedParty {
  return {
    kind: party.kind, legalName: party.legalName, email: party.email?.trim() || null, phone: party.phoneNormalised, dateOfBirth: party.dateOfBirth ?? null,
    address: party.address ?? null,
    identifiers: party.identifiers.map((i) => ({ kind: i.kind, country: i.country, sealed: sealSecret(dataKey, i.value), last4: i.value.slice(-4) })),
  };
}

/**
 * The party as this application's submitter gave it: the kept copy, or — for applications from before copies
 * were kept — the party record itself.
 */
export function asSubmitted(link: { submitted: unknown }, party: PartyRow, identifiers: IdentifierRow[]): SubmittedParty {
  if (link.submitted) return link.submitted as SubmittedParty;
  return {
    kind: party.kind as SubmittedParty['kind'], legalName: party.legalName, email: party.email, phone: party.phone,
    dateOfBirth: party.dateOfBirth ? businessDateOf(party.dateOfBirth) : null, address: (party.address ?? null) as PostalAddress | null,
    identifiers: identifiers.map((i) => ({ kind: i.kind as IdentifierKind, country: i.country, sealed: i.sealed, last4: i.last4 })),
  };
}

/** An identifier as most roles see it: kind, country and the last four characters. */
export const maskIdentifier = (last4: string) => `••••${last4}`;

export function revealIdentifier(dataKey: DataKey, sealed: string): string {
  return openSecret(dataKey, sealed);
}
