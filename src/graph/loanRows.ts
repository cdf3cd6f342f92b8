// Loans as the graph reads them, with plain SQL on the pool: the row Prisma's `loan.findMany` gives (LoanRow, the
// same fields and values; its decimals the domain's decimal.js rather than the ORM's copy), without the query
// engine between. A loan by id and a page of loans are the reads the
// API answers most, and building and interpreting a Prisma query, then decoding its answer, cost the gateway more
// than the database spends finding the row (docs/performance.md). Writes and everything else keep Prisma.
import pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';
import { Decimal } from '../domain/money.js';
import { PARTNER_SQL_SCOPES, type PartnerRef } from '../authz/partnerScope.js';
import { preparedByIds, preparedQuery } from '../tenancy/preparedStatements.js';
import { businessDateOf, dateColumn } from '../tenancy/dateColumns.js';
import { quoteIdent } from '../tenancy/schemaNames.js';
import type { LoanRow, LoanTermsRow } from './loaders.js';
import type { KeysetPage } from './lists.js';

/** How a column arrives (always as text where pg's own parsing would differ from Prisma's) and is decoded. */
type Kind = 'text' | 'int' | 'bool' | 'decimal' | 'date' | 'timestamp';

/** Every column of `loan` the graph reads (LoanRow), by the field name Prisma gives it; test/graph/loanRows.test.ts holds it to Prisma's row. */
const COLUMNS: Record<keyof LoanRow, [column: string, kind: Kind]> = {
  id: ['id', 'text'],
  number: ['number', 'int'],
  productId: ['product_id', 'text'],
  productVersion: ['product_version', 'int'],
  currency: ['currency', 'text'],
  principal: ['principal', 'decimal'],
  approvedPrincipal: ['approved_principal', 'decimal'],
  disbursementDate: ['disbursement_date', 'date'],
  firstRepaymentDate: ['first_repayment_date', 'date'],
  borrowerPartyId: ['borrower_party_id', 'text'],
  originationPartner: ['origination_partner', 'text'],
  externalReference: ['external_reference', 'text'],
  status: ['status', 'text'],
  asOf: ['as_of', 'date'],
  daysPastDue: ['days_past_due', 'int'],
  principalReceivable: ['principal_receivable', 'decimal'],
  interestReceivable: ['interest_receivable', 'decimal'],
  feeReceivable: ['fee_receivable', 'decimal'],
  penaltyReceivable: ['penalty_receivable', 'decimal'],
  held: ['held', 'decimal'],
  interestInAdvance: ['interest_in_advance', 'decimal'],
  oldestDueDate: ['oldest_due_date', 'date'],
  nextInstalment: ['next_instalment', 'int'],
  nextDueDate: ['next_due_date', 'date'],
  lastDueDate: ['last_due_date', 'date'],
  lastDueOwing: ['last_due_owing', 'decimal'],
  tolerance: ['tolerance', 'decimal'],
  lateFeeGraceDays: ['late_fee_grace_days', 'int'],
  penaltyInterest: ['penalty_interest', 'bool'],
  replayOn: ['replay_on', 'date'],
  delinquencyBucket: ['delinquency_bucket', 'text'],
  ownClass: ['own_class', 'text'],
  assetClass: ['asset_class', 'text'],
  classSince: ['class_since', 'date'],
  npaSince: ['npa_since', 'date'],
  interestSuspense: ['interest_suspense', 'decimal'],
  provision: ['provision', 'decimal'],
  restructuredOn: ['restructured_on', 'date'],
  transactionCount: ['transaction_count', 'int'],
  applicationId: ['application_id', 'text'],
  decisionId: ['decision_id', 'text'],
  offerId: ['offer_id', 'text'],
  createdBy: ['created_by', 'text'],
  createdAt: ['created_at', 'timestamp'],
  updatedAt: ['updated_at', 'timestamp'],
};

const FIELDS = Object.entries(COLUMNS) as [keyof LoanRow, [string, Kind]][];

/**
 * The select list: dates, numerics and timestamps as text (pg would make a date local midnight where Prisma makes it
 * UTC; a numeric or a timestamp is made a value only when read, where pg parsed every timestamp of a page), the rest
 * as pg reads them (a uuid as text). Each is aliased by its index.
 */
const SELECT = FIELDS.map(([, [column, kind]], i) => {
  const cast = kind === 'date' || kind === 'decimal' || kind === 'timestamp' ? '::text' : '';
  return `l.${column}${cast} AS c${i}`;
}).join(', ');

/** pg's own parser of a timestamptz's text. */
const TIMESTAMPTZ_OID = 1184 as Parameters<typeof pg.types.getTypeParser>[0];
const timestamp = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

function decode(kind: Kind, value: unknown): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'decimal':
      // Ours, not the ORM's: `money()` takes ours as it is and copied the ORM's digit by digit, a tenth of a
      // page's decoding (docs/performance.md). The same value and the same decimal.js API either way.
      return new Decimal(value as string);
    case 'date':
      return dateColumn(value as string);
    case 'timestamp':
      // As pg itself parses a timestamptz: a Date, to the millisecond as Prisma gives it.
      return timestamp(value as string);
    default:
      // text, int, bool
      return value;
  }
}

/**
 * A loan's row as the graph reads it: every field of LoanRow (Prisma's row less its terms and the position's
 * arrays), each decoded from its column when first read and kept. Resolvers read a handful of a loan's forty-odd
 * fields (a page of loans with their balances reads seven of its twelve decimals), so nothing is decoded before it
 * is asked for.
 * The fields are getters on the prototype, made once: a row is two arrays, not fifty closures (defining an accessor
 * on every row for every field cost the gateway more than pg's parsing of the row; docs/performance.md). A row is
 * to be read field by field: spreading it copies nothing (`plainLoanRow` gives the plain object).
 */
class LoanRowView {
  /** The column's value as it arrived, then (once read) decoded. */
  readonly #values: unknown[];
  readonly #decoded: boolean[];

  constructor(values: unknown[]) {
    this.#values = values;
    this.#decoded = new Array<boolean>(values.length).fill(false);
  }

  static {
    FIELDS.forEach(([field, [, kind]], i) => {
      Object.defineProperty(LoanRowView.prototype, field, {
        enumerable: true,
        get(this: LoanRowView) {
          if (!this.#decoded[i]) {
            this.#values[i] = decode(kind, this.#values[i]);
            this.#decoded[i] = true;
          }
          return this.#values[i];
        },
        set(this: LoanRowView, next: unknown) {
          this.#values[i] = next;
          this.#decoded[i] = true;
        },
      });
    });
  }

  /**
   * The business date a date field holds, as its column's text when it has not been made a Date (the text PostgreSQL
   * writes is the business date itself); undefined otherwise, for the caller to write the Date out.
   */
  dateText(field: LoanDateField): string | null | undefined {
    const text = this.#columnText(DATE_FIELDS.get(field));
    return typeof text === 'string' && !BUSINESS_DATE_TEXT.test(text) ? undefined : text;
  }

  /** An amount field's column text (exact, as PostgreSQL wrote the numeric) when it has not been made a Decimal; undefined otherwise. */
  amountText(field: LoanAmountField): string | null | undefined {
    return this.#columnText(AMOUNT_FIELDS.get(field));
  }

  /** The column's value as it arrived, while it is still text nobody decoded; null for SQL NULL; undefined otherwise. */
  #columnText(i: number | undefined): string | null | undefined {
    if (i === undefined) return undefined;
    const value = this.#values[i];
    if (value === null) return null;
    return !this.#decoded[i] && typeof value === 'string' ? value : undefined;
  }

  /** Serialized as Prisma's row would be. */
  toJSON(): Record<string, unknown> {
    return plainLoanRow(this as unknown as LoanRow);
  }
}

/** The fields of LoanRow that are dates (a Date in Prisma's row, less its two timestamps), by their place in the row. */
type LoanDateField = Exclude<{ [F in keyof LoanRow]: LoanRow[F] extends Date | null ? F : never }[keyof LoanRow], 'createdAt' | 'updatedAt'>;
const DATE_FIELDS = new Map(FIELDS.flatMap(([field, [, kind]], i) => (kind === 'date' ? [[field as LoanDateField, i] as const] : [])));
const BUSINESS_DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;

/** The fields of LoanRow that are amounts (decimal columns), by their place in the row. */
type LoanAmountField = { [F in keyof LoanRow]: NonNullable<LoanRow[F]> extends Prisma.Decimal ? F : never }[keyof LoanRow];
const AMOUNT_FIELDS = new Map(FIELDS.flatMap(([field, [, kind]], i) => (kind === 'decimal' ? [[field as LoanAmountField, i] as const] : [])));

/**
 * A loan's amount for a Money field (moneyAnswer): a row read here gives its column's text as it came, which need
 * not be made a Decimal to be written out; Prisma's row (a loan a mutation answers) gives its decimal.
 */
export function loanAmount(row: LoanRow, field: LoanAmountField): string | { toString(): string } {
  if (row instanceof LoanRowView) {
    const text = row.amountText(field);
    if (typeof text === 'string') return text;
  }
  return row[field] as { toString(): string };
}

/**
 * A loan's date as the API answers it (YYYY-MM-DD). A row read here gives its column's text as it came: made a
 * Date and written out again, every date of every loan read cost the gateway a parse and a format for nothing
 * (docs/performance.md). Prisma's row (a loan a mutation answers) gives its Date, written out.
 */
export function loanDate(row: LoanRow, field: LoanDateField): string | null {
  if (row instanceof LoanRowView) {
    const text = row.dateText(field);
    if (text !== undefined) return text;
  }
  const date = row[field] as Date | null;
  return date ? businessDateOf(date) : null;
}

/** The row as a plain object, every field decoded: Prisma's row, field for field, less its terms and the position's arrays. */
export function plainLoanRow(row: LoanRow): LoanRow {
  return Object.fromEntries(FIELDS.map(([field]) => [field, row[field]])) as LoanRow;
}

/**
 * The loans with these ids (uuids) that the reader may see, in no particular order: for a partner only those it
 * brought (the Loan rule of src/authz/partnerScope.ts, applied here as Prisma's scoped client applies it).
 */
export async function loanRowsById(pool: pg.Pool, schemaName: string, ids: string[], partner: PartnerRef | null): Promise<LoanRow[]> {
  const rows = await selectInScope(pool, schemaName, ids, partner, SELECT, 'loan-row');
  return rows.map((values) => new LoanRowView(values) as unknown as LoanRow);
}

/** The terms, allocation, accounts and tranche plan of these loans (uuids), as the reader may see them (loanRowsById). */
export async function loanTermsById(pool: pg.Pool, schemaName: string, ids: string[], partner: PartnerRef | null): Promise<LoanTermsRow[]> {
  // As jsonb, parsed by pg as Prisma parses it.
  const rows = await selectInScope(pool, schemaName, ids, partner, 'l.id, l.terms, l.allocation, l.accounts, l.tranche_plan', 'loan-terms');
  return rows.map(([id, terms, allocation, accounts, tranchePlan]) => ({ id, terms, allocation, accounts, tranchePlan }) as LoanTermsRow);
}

/** `select` of the loans with these ids the reader may see, as rows of values: a named statement under `name`. */
function selectInScope(pool: pg.Pool, schemaName: string, ids: string[], partner: PartnerRef | null, select: string, name: string): Promise<unknown[][]> {
  const scope = partner ? PARTNER_SQL_SCOPES.Loan(partner) : null;
  // A named statement per schema, scope column and shape (src/tenancy/preparedStatements.ts), planned once per
  // connection.
  return preparedByIds<unknown[]>(pool, `${name}:${schemaName}:${scope?.column ?? ''}`, ids,
    (idIs) => `SELECT ${select} FROM ${quoteIdent(schemaName)}.loan l WHERE l.id ${idIs}${scope ? ` AND l.${scope.column} = $2` : ''}`,
    scope ? [scope.value] : [], { rowMode: 'array' });
}

/**
 * A page of loans in number order with their rows, in one statement: the list of loans asked with no filter (a
 * partner's sync walks it page by page), without reading the page's ids first and the rows after. The same rows
 * and partner rule as loanRowsById; a key is compared as the list's cursors compare (number, then id).
 */
export async function loanRowsInNumberOrder(
  pool: pg.Pool, schemaName: string, partner: PartnerRef | null,
  page: KeysetPage,
): Promise<LoanRow[]> {
  const scope = partner ? PARTNER_SQL_SCOPES.Loan(partner) : null;
  // The page's size is written into the statement, not bound: with `LIMIT $1` PostgreSQL's generic plan assumes a
  // tenth of the table is wanted, so a custom plan for 21 rows always looked cheaper and the statement was planned
  // on every execution (a sixth of the server's time per page, docs/performance.md). Sizes are few (a page holds at
  // most the list's maximum), so each size is a statement of its own.
  if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw new Error(`a page of loans needs a positive whole size, not ${page.limit}`);
  const values: unknown[] = [];
  const where: string[] = [];
  const shape: string[] = [page.direction, String(page.limit)];
  if (scope) {
    values.push(scope.value);
    where.push(`l.${scope.column} = $${values.length}`);
    shape.push(scope.column);
  }
  for (const [side, key] of [['after', page.after], ['before', page.before]] as const) {
    if (!key) continue;
    // The number as the cursor holds it (checked when the cursor was read), cast where it is compared.
    values.push(key.value, key.id);
    where.push(`(l.number, l.id) ${key.greater ? '>' : '<'} ($${values.length - 1}::bigint, $${values.length}::uuid)`);
    shape.push(`${side}${key.greater ? '>' : '<'}`);
  }
  const order = page.direction === 'asc' ? 'ASC' : 'DESC';
  const text = `SELECT ${SELECT} FROM ${quoteIdent(schemaName)}.loan l${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY l.number ${order}, l.id ${order} LIMIT ${page.limit}`;
  const { rows } = await preparedQuery<unknown[]>(pool, `loan-page:${schemaName}:${shape.join(':')}`, text, values, { rowMode: 'array' });
  return rows.map((row) => new LoanRowView(row) as unknown as LoanRow);
}
