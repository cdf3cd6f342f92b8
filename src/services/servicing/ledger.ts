// Reading the tenant's books: the chart of accounts, a trial balance and an account statement as of any date,
// and the ledger's invariants checked against the stored journals. Balances are by value date: "as of" a date
// is what the books say today about that date, corrections included (each correction is dated where it applies).
import { AppError, inputPath, InvalidField, noSuchCode } from '../../errors.js';
import { isBusinessDate } from '../../domain/businessDate.js';
import { Decimal } from '../../domain/money.js';
import { assertAccountFitsRole, trialBalanceOf, type AccountRole } from '../../domain/servicing/ledger.js';
import { partnerPrincipal } from '../../domain/servicing/coLending.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { createUnlessRepeated, fieldsThatDiffer, NameTaken } from '../../commands/namedCreation.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';

export const ROLES: readonly AccountRole[] = [
  'cash', 'principalReceivable', 'interestReceivable', 'feeReceivable', 'penaltyReceivable', 'interestIncome', 'feeIncome', 'penaltyIncome',
  'excess', 'interestInAdvance', 'writeOffExpense', 'interestWrittenOff', 'chargesWrittenOff', 'recoveryIncome', 'colenderPayable', 'interestSuspense', 'loanLossAllowance', 'provisionExpense',
];
export const KINDS = ['asset', 'liability', 'equity', 'income', 'expense'] as const;

function checkDate(value: string, field: string): string {
  if (!isBusinessDate(value)) throw new InvalidField(field, `${field} must be a business date (YYYY-MM-DD)`);
  return value;
}

export interface TrialBalanceLine {
  account: string;
  name: string;
  kind: string;
  currency: string;
  debits: Decimal;
  credits: Decimal;
  /** Debits less credits. */
  balance: Decimal;
}

export async function trialBalance(db: TenantDb, asOf: string): Promise<TrialBalanceLine[]> {
  checkDate(asOf, 'asOf');
  // Summed per account in SQL so a trial balance never pulls every journal line into the process; the rows are the domain's.
  const [groups, chart] = await Promise.all([
    db.journalLine.groupBy({ by: ['account', 'currency'], where: { valueDate: { lte: dateColumn(asOf) } }, _sum: { debit: true, credit: true } }),
    db.ledgerAccount.findMany(),
  ]);
  const accounts = new Map(chart.map((a) => [a.code, a]));
  const rows = trialBalanceOf(groups.map((g) => ({
    account: g.account, currency: g.currency, debits: new Decimal(g._sum.debit?.toString() ?? 0), credits: new Decimal(g._sum.credit?.toString() ?? 0),
  })));
  return rows.map((row) => {
    const account = accounts.get(row.account)!;
    return { ...row, name: account.name, kind: account.kind };
  });
}

export interface AccountStatementLine {
  journalId: string;
  seq: bigint;
  valueDate: string;
  postedAt: Date;
  kind: string;
  narrative: string;
  loanId: string | null;
  transactionId: string | null;
  debit: Decimal;
  credit: Decimal;
  balance: Decimal;
}

export interface AccountStatement {
  account: string;
  currency: string;
  from: string;
  to: string;
  opening: Decimal;
  lines: AccountStatementLine[];
  closing: Decimal;
  /** True when more lines exist than were returned: narrow the dates. */
  truncated: boolean;
}

export const MAX_STATEMENT_LINES = 5_000;

export async function accountStatement(db: TenantDb, account: string, currency: string, from: string, to: string): Promise<AccountStatement> {
  checkDate(from, 'from');
  checkDate(to, 'to');
  if (from > to) throw new InvalidField('to', 'to must be on or after from');
  if (!(await db.ledgerAccount.findUnique({ where: { code: account } }))) throw new InvalidField('account', 'no ledger account with that code');
  const [before, rows] = await Promise.all([
    db.journalLine.aggregate({ where: { account, currency, valueDate: { lt: dateColumn(from) } }, _sum: { debit: true, credit: true } }),
    db.journalLine.findMany({
      where: { account, currency, valueDate: { gte: dateColumn(from), lte: dateColumn(to) } },
      include: { journal: true },
      orderBy: [{ valueDate: 'asc' }, { journal: { seq: 'asc' } }, { line: 'asc' }],
      take: MAX_STATEMENT_LINES + 1,
    }),
  ]);
  const opening = new Decimal(before._sum.debit?.toString() ?? 0).minus(before._sum.credit?.toString() ?? 0);
  let balance = opening;
  const lines = rows.slice(0, MAX_STATEMENT_LINES).map((row) => {
    const debit = new Decimal(row.debit.toString());
    const credit = new Decimal(row.credit.toString());
    balance = balance.plus(debit).minus(credit);
    return {
      journalId: row.journalId, seq: row.journal.seq, valueDate: businessDateOf(row.valueDate), postedAt: row.journal.postedAt,
      kind: row.journal.kind, narrative: row.journal.narrative, loanId: row.loanId, transactionId: row.journal.transactionId, debit, credit, balance,
    };
  });
  return { account, currency, from, to, opening, lines, closing: balance, truncated: rows.length > MAX_STATEMENT_LINES };
}

export interface LedgerInvariants {
  /** Journals whose debits and credits differ in a currency (must be 0). */
  unbalancedJournals: number;
  /** Loans whose stored sub-ledger differs from their own journal lines (must be 0). */
  loansOffLedger: number;
  /** Control accounts whose GL balance differs from the sum of the loans' sub-ledgers (must be 0). */
  controlAccountsOff: number;
  /** Loan accounts (receivable or held) that went negative on some date (must be 0). */
  negativeBalances: number;
  /**
   * Co-lending shares whose principal in the books (the partner's funded account, for the loan) differs from its
   * share of the loan's principal receivable, rounded as the split rounds it (must be 0).
   */
  participationsOffLedger: number;
  /**
   * Co-lending partners whose payable differs from their shares of collections (the loans' lines on it) less
   * what was settled: any other posting to a partner's accounts (must be 0).
   */
  coLenderPayablesOff: number;
  loans: number;
  journals: number;
}

/**
 * Each loan `l` and whether its stored figures equal what its journal lines add up to (`matches`): the
 * receivables, money held, interest paid ahead, interest in suspense and the provision. `where` narrows the loans
 * (SQL over `l`, or empty for the whole book).
 */
export function perLoanLedgerMatch(s: string, where: string): string {
  return `
      SELECT l.id,
             l.principal_receivable = coalesce(sum(j.debit - j.credit) FILTER (WHERE j.account = l.accounts->>'principalReceivable'), 0)
         AND l.interest_receivable = coalesce(sum(j.debit - j.credit) FILTER (WHERE j.account = l.accounts->>'interestReceivable'), 0)
         AND l.fee_receivable = coalesce(sum(j.debit - j.credit) FILTER (WHERE j.account = l.accounts->>'feeReceivable'), 0)
         AND l.penalty_receivable = coalesce(sum(j.debit - j.credit) FILTER (WHERE j.account = l.accounts->>'penaltyReceivable'), 0)
         AND l.held = coalesce(sum(j.credit - j.debit) FILTER (WHERE j.account = l.accounts->>'excess'), 0)
         AND l.interest_in_advance = coalesce(sum(j.credit - j.debit) FILTER (WHERE j.account = l.accounts->>'interestInAdvance'), 0)
         AND l.interest_suspense = coalesce(sum(j.credit - j.debit) FILTER (WHERE j.account = l.accounts->>'interestSuspense'), 0)
         AND l.provision = coalesce(sum(j.credit - j.debit) FILTER (WHERE j.account = l.accounts->>'loanLossAllowance'), 0) AS matches
        FROM ${s}.loan l LEFT JOIN ${s}.journal_line j ON j.loan_id = l.id
       ${where}
       GROUP BY l.id`;
}

/** The ledger's invariants, counted over the stored books (an auditor's check, and the bench's after a run). */
export async function ledgerInvariants(db: TenantDb, schemaName: string): Promise<LedgerInvariants> {
  const receivable = `ARRAY[l.accounts->>'principalReceivable', l.accounts->>'interestReceivable', l.accounts->>'feeReceivable', l.accounts->>'penaltyReceivable']`;
  const [row] = await tenantSql(db, schemaName).query<Record<string, number>[]>((s) => `
    WITH per_loan AS (${perLoanLedgerMatch(s, '')}
    ), sub_ledger AS (
      SELECT account, currency, sum(amount) AS amount FROM (
        SELECT l.accounts->>'principalReceivable' AS account, l.currency, l.principal_receivable AS amount FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'interestReceivable', l.currency, l.interest_receivable FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'feeReceivable', l.currency, l.fee_receivable FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'penaltyReceivable', l.currency, l.penalty_receivable FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'excess', l.currency, -l.held FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'interestInAdvance', l.currency, -l.interest_in_advance FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'interestSuspense', l.currency, -l.interest_suspense FROM ${s}.loan l
        UNION ALL SELECT l.accounts->>'loanLossAllowance', l.currency, -l.provision FROM ${s}.loan l
      ) parts WHERE account IS NOT NULL GROUP BY account, currency
    ), control AS (
      SELECT account, currency, sum(debit - credit) AS amount FROM ${s}.journal_line
       WHERE account IN (SELECT account FROM sub_ledger) GROUP BY account, currency
    ), running AS (
      SELECT j.loan_id, j.account, sum(sum(j.debit - j.credit)) OVER (PARTITION BY j.loan_id, j.account ORDER BY j.value_date) AS balance
        FROM ${s}.journal_line j WHERE j.loan_id IS NOT NULL GROUP BY j.loan_id, j.account, j.value_date
    )
    SELECT
      (SELECT count(*) FROM (SELECT journal_id FROM ${s}.journal_line GROUP BY journal_id, currency HAVING sum(debit) <> sum(credit)) u)::int AS "unbalancedJournals",
      (SELECT count(*) FROM per_loan WHERE NOT matches)::int AS "loansOffLedger",
      (SELECT count(*) FROM sub_ledger sl FULL JOIN control c USING (account, currency) WHERE coalesce(sl.amount, 0) <> coalesce(c.amount, 0))::int AS "controlAccountsOff",
      (SELECT count(*) FROM running r JOIN ${s}.loan l ON l.id = r.loan_id
        WHERE (r.account = ANY (${receivable}) AND r.balance < 0)
           OR (r.account IN (l.accounts->>'excess', l.accounts->>'interestInAdvance', l.accounts->>'interestSuspense', l.accounts->>'loanLossAllowance')
               AND r.balance > 0))::int AS "negativeBalances",
      (SELECT count(*) FROM ${s}.loan)::int AS loans,
      (SELECT count(*) FROM ${s}.journal)::int AS journals`);
  const coLending = await coLendingInvariants(db, schemaName);
  return { ...(row as unknown as LedgerInvariants), ...coLending };
}

/** The co-lending half of the invariants: each share's principal, and each partner's payable, against what made them. */
async function coLendingInvariants(db: TenantDb, schemaName: string): Promise<Pick<LedgerInvariants, 'participationsOffLedger' | 'coLenderPayablesOff'>> {
  const sql = tenantSql(db, schemaName);
  const shares = await sql.query<{ share: string; currency: string; principal: string; funded: string; started: boolean }[]>((s) => `
    SELECT p.share_percent::text AS share, l.currency, l.principal_receivable::text AS principal, p.from_date <= l.as_of AND (p.until_date IS NULL OR p.until_date > l.as_of) AS started,
           coalesce((SELECT sum(j.credit - j.debit) FROM ${s}.journal_line j WHERE j.loan_id = p.loan_id AND j.account = p.funded_account), 0)::text AS funded
      FROM ${s}.loan_participation p JOIN ${s}.loan l ON l.id = p.loan_id`);
  const participationsOffLedger = shares.filter((x) => {
    const expected = x.started ? partnerPrincipal(new Decimal(x.share), new Decimal(x.principal), x.currency) : new Decimal(0);
    return !expected.equals(new Decimal(x.funded));
  }).length;
  // Lines on a partner's accounts must come from a loan (its shares) or from a settlement of the partner.
  const [off] = await sql.query<{ n: number }[]>((s) => `
    SELECT count(DISTINCT c.partner_code)::int AS n FROM ${s}.colending_partner_ledger c
      JOIN ${s}.journal_line jl ON jl.account IN (c.payable_account, c.funded_account, c.servicing_fee_account)
      JOIN ${s}.journal j ON j.id = jl.journal_id
     WHERE jl.loan_id IS NULL AND NOT (j.kind = 'settlement' AND jl.account = c.payable_account)`);
  return { participationsOffLedger, coLenderPayablesOff: off?.n ?? 0 };
}

export interface NewAccount {
  code: string;
  name: string;
  kind: string;
}

export async function openLedgerAccount(db: TenantDb, command: CommandContext, input: NewAccount) {
  if (!/^[A-Za-z0-9._-]{1,20}$/.test(input.code)) throw new InvalidField('code', 'code must be 1–20 letters, digits, dots, dashes or underscores');
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) throw new InvalidField('name', 'name must be 1–200 characters');
  if (!(KINDS as readonly string[]).includes(input.kind)) throw new InvalidField('kind', `kind must be one of ${KINDS.join(', ')}`);
  return createUnlessRepeated(`ledger account ${input.code}`, () => runCommand(db, { ...command, action: 'ledgerAccount.open' }, async (tx) => {
    if (await tx.ledgerAccount.findUnique({ where: { code: input.code } })) throw new NameTaken();
    const account = await tx.ledgerAccount.create({ data: { code: input.code, name, kind: input.kind, createdBy: command.actor.subject, createdAt: command.now } });
    return {
      result: account,
      audit: { entityType: 'LedgerAccount', entityId: account.code, after: { code: account.code, name, kind: input.kind } },
      events: [{ type: 'ledgerAccount.opened', aggregateType: 'LedgerAccount', aggregateId: account.code, payload: { code: account.code, name, kind: input.kind } }],
    };
  }), {
    existing: () => db.ledgerAccount.findUniqueOrThrow({ where: { code: input.code } }),
    differences: (account) => fieldsThatDiffer({ name: account.name !== name, kind: account.kind !== input.kind }),
    answer: (account) => account,
  });
}

/** Posts a product's role to another account from now on; loans booked earlier keep the accounts they were booked with. */
export async function mapProductAccount(db: TenantDb, command: CommandContext, productCode: string, role: string, account: string) {
  if (!(ROLES as readonly string[]).includes(role)) throw new InvalidField('role', `role must be one of ${ROLES.join(', ')}`);
  return runCommand(db, { ...command, action: 'loanProduct.mapAccount' }, async (tx) => {
    const product = await tx.loanProduct.findUnique({ where: { code: productCode } });
    if (!product) throw noSuchCode('productCode', 'no loan product with that code');
    const target = await tx.ledgerAccount.findUnique({ where: { code: account } });
    if (!target) throw new InvalidField('account', 'no ledger account with that code');
    assertAccountFitsRole(role as AccountRole, target, 'account');
    const before = product.accountMapping as Record<string, string>;
    const after = { ...before, [role]: account };
    const updated = await tx.loanProduct.update({ where: { id: product.id }, data: { accountMapping: after } });
    return {
      result: updated,
      audit: { entityType: 'LoanProduct', entityId: product.id, before: { accountMapping: before }, after: { accountMapping: after } },
      events: [{ type: 'loanProduct.accountMapped', aggregateType: 'LoanProduct', aggregateId: product.id, payload: { code: productCode, role, account } }],
    };
  });
}

/**
 * SQL: the opening CTEs (`journal`, `lines`) of a statement that posts a journal naming no loan (a settlement with
 * a co-lender, a commission): Dr $7, Cr $9, for $8, with the journal's id $1, currency $2, value date $3, narrative
 * $4, poster $5 and time $6. The caller's own CTEs and INSERT follow, with parameters from $10.
 */
export function journalWithoutLoan(s: string, kind: 'settlement' | 'commission'): string {
  return `journal AS (
      INSERT INTO ${s}.journal (id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at)
      VALUES ($1::uuid, NULL, NULL, '${kind}', $2, $3::date, $4, $5, $6::timestamptz) RETURNING id
    ), lines AS (
      INSERT INTO ${s}.journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
      SELECT $1::uuid, 1, $7, $8::numeric, 0, NULL::uuid, $2, $3::date FROM journal
      UNION ALL SELECT $1::uuid, 2, $9, 0, $8::numeric, NULL::uuid, $2, $3::date FROM journal
      RETURNING 1
    )`;
}
