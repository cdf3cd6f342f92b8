// Creating a record under a name its creator chose — a partner's code, a loan product's or ledger account's code,
// a staff member's e-mail address, as a tenant's slug (src/tenancy/provisioning.ts) — is safe to send again
// without an idempotency key (docs/partners.md, "Errors and retries"): the name tells a repeat from a new request.
// A repeat with the same details answers the record as it stands and writes nothing (no row, event or audit
// record, no call to the identity provider, never a secret again); one with different details asks for something
// else under a name that is taken, and is a CONFLICT naming each field that differs.
import { AppError, inputPath, isUniqueViolation } from '../errors.js';
import type { Tx } from '../tenancy/tenantClients.js';
import { schemaForSlug } from '../tenancy/schemaNames.js';
import { holdUntilCommit } from '../tenancy/tenantSql.js';

/** Thrown inside a creation's transaction when its name is taken, so that nothing of the attempt is kept. */
export class NameTaken extends Error {
  constructor() {
    super('the name is taken');
    this.name = 'NameTaken';
  }
}

export interface Repeat<T, R> {
  /** The record under the name. */
  existing: () => Promise<R>;
  /** The fields, as the request names them, in which it asks for something else than `existing`. */
  differences: (existing: R) => string[] | Promise<string[]>;
  /** What a repeat answers. */
  answer: (existing: R) => T;
}

/** The fields whose check is true, in the order given. */
export function fieldsThatDiffer(checks: Record<string, boolean>): string[] {
  return Object.entries(checks).filter(([, differs]) => differs).map(([field]) => field);
}

/**
 * Holds the name until the creation's transaction ends: another creation under it in the same lender, from this
 * gateway or another, waits here, then finds the name taken and is answered as a repeat without having asked the
 * identity provider for anything. Two that both found the name free would both reach the identity provider,
 * where a partner's client and a person's account are the code's and the address's own: the changes of the one
 * whose row loses land on the winner's client or person, and taking its invitation back removes the winner's
 * person from the lender.
 */
export async function holdName(tx: Tx, tenant: string, record: string): Promise<void> {
  await holdUntilCommit(tx, schemaForSlug(tenant), `name|${tenant}|${record}`);
}

/** `create`'s answer, or, when it found its name taken (or lost the race for it), what a repeat answers (`record` names it in a refusal: "partner acme"). */
export async function createUnlessRepeated<T, R>(record: string, create: () => Promise<T>, repeat: Repeat<T, R>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    // A request made at the same moment under the same name took it between this one's look and its write.
    if (!(error instanceof NameTaken) && !isUniqueViolation(error)) throw error;
  }
  const existing = await repeat.existing();
  const differing = [...new Set(await repeat.differences(existing))];
  if (differing.length > 0) {
    throw new AppError('CONFLICT', `${record} already exists with a different ${differing.join(', ')}`, { field: inputPath(differing[0]!) });
  }
  return repeat.answer(existing);
}
