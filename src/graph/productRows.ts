// Loan products as the graph reads them, with plain SQL on the pool: the row Prisma's `loanProduct.findMany` gives
// (the same fields and values), without the query engine between. Every page of loans asks for its loans'
// products, and through the ORM that read of a row or two cost the gateway about a tenth of the page
// (docs/performance.md). Every partner may read the whole catalogue (PARTNER_READ_SCOPES.LoanProduct), so no
// partner rule applies; writes and everything else keep Prisma.
import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { preparedByIds } from '../tenancy/preparedStatements.js';
import { quoteIdent } from '../tenancy/schemaNames.js';

export type LoanProductRow = Awaited<ReturnType<TenantDb['loanProduct']['findUniqueOrThrow']>>;

type Kind = 'as-read' | 'decimal';

/** Every column of `loan_product`, by the field name Prisma gives it; test/graph/productRows.test.ts holds it to Prisma's row. */
const COLUMNS: Record<keyof LoanProductRow, [column: string, kind: Kind]> = {
  id: ['id', 'as-read'],
  code: ['code', 'as-read'],
  name: ['name', 'as-read'],
  currency: ['currency', 'as-read'],
  minAmount: ['min_amount', 'decimal'],
  maxAmount: ['max_amount', 'decimal'],
  minTenor: ['min_tenor_months', 'as-read'],
  maxTenor: ['max_tenor_months', 'as-read'],
  annualRate: ['annual_rate', 'decimal'],
  createdAt: ['created_at', 'as-read'],
  currentVersion: ['current_version', 'as-read'],
  accountMapping: ['account_mapping', 'as-read'],
  delinquencyBuckets: ['delinquency_buckets', 'as-read'],
  retiredAt: ['retired_at', 'as-read'],
};

const FIELDS = Object.entries(COLUMNS) as [keyof LoanProductRow, [string, Kind]][];

/**
 * Numerics as text, made into Prisma's decimals; the rest as pg reads them: a uuid as text, integers as numbers,
 * JSON parsed, timestamps as Dates to the millisecond, as Prisma gives them.
 */
const SELECT = FIELDS.map(([, [column, kind]], i) => `p.${column}${kind === 'decimal' ? '::text' : ''} AS c${i}`).join(', ');

function rowOf(values: unknown[]): LoanProductRow {
  const row: Record<string, unknown> = {};
  FIELDS.forEach(([field, [, kind]], i) => {
    const value = values[i];
    row[field] = kind === 'decimal' && value !== null ? new Prisma.Decimal(value as string) : value;
  });
  return row as LoanProductRow;
}

/** The products with these ids (uuids), in no particular order. */
export async function loanProductRowsById(pool: pg.Pool, schemaName: string, ids: string[]): Promise<LoanProductRow[]> {
  const rows = await preparedByIds<unknown[]>(pool, `loan-product:${schemaName}`, ids,
    (idIs) => `SELECT ${SELECT} FROM ${quoteIdent(schemaName)}.loan_product p WHERE p.id ${idIs}`, [], { rowMode: 'array' });
  return rows.map(rowOf);
}
