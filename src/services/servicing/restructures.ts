// Restructures (docs/restructure.md): one person asks for new terms from a date, another decides (four eyes);
// approved, the restructure posts as a transaction of the loan through the posting engine, as of the request's
// value date, and is checked then against the loan as it stands (and already on asking, against the loan as it
// stood then). A payment holiday and a re-ageing are restructures too: new terms that only defer, or only
// capitalise the arrears.
import { InvalidField } from '../../errors.js';
import { Decimal } from '../../domain/money.js';
import { MAX_RATE_PERCENT, MAX_REPAYMENTS } from '../../domain/servicing/product.js';
import { MAX_HOLIDAY_PERIODS } from '../../domain/servicing/replay/restructure.js';
import type { CommandContext } from '../../commands/runCommand.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import type { LoanRestructureRequest } from '../../generated/prisma/client.js';
import { askLoanRequest, checkedRequest, decideLoanRequest, type LoanRequestKind } from './loanRequests.js';
import type { PostingDraft } from './postings.js';
import type { RestructureTerms } from './loanRecords.js';

export interface RestructureAsk {
  loanId: string;
  valueDate: string;
  capitaliseArrears: boolean;
  annualRatePercent?: Decimal | null;
  instalments?: number | null;
  holidayPeriods?: number | null;
  holidayInterest?: 'accrue' | 'waive' | null;
  reason: string;
}

/** The most digits after the point a restructure's rate may carry. */
const RATE_PLACES = 6;

/** The terms as stored: only what the request sets, checked (the replay checks them again against the loan). */
function termsOf(ask: RestructureAsk): RestructureTerms {
  const terms: RestructureTerms = { capitaliseArrears: ask.capitaliseArrears };
  if (ask.annualRatePercent != null) {
    const rate = ask.annualRatePercent;
    if (!rate.isFinite() || rate.isNegative() || rate.gt(MAX_RATE_PERCENT)) {
      throw new InvalidField('annualRatePercent', `the annual rate must be a percentage from 0 to ${MAX_RATE_PERCENT}`);
    }
    if (rate.decimalPlaces() > RATE_PLACES) throw new InvalidField('annualRatePercent', `annualRatePercent may have at most ${RATE_PLACES} digits after the point`);
    terms.annualRatePercent = rate.toFixed();
  }
  if (ask.instalments != null) {
    if (!Number.isInteger(ask.instalments) || ask.instalments < 1 || ask.instalments > MAX_REPAYMENTS) throw new InvalidField('instalments', `a whole number from 1 to ${MAX_REPAYMENTS}`);
    terms.instalments = ask.instalments;
  }
  if (ask.holidayPeriods != null) {
    if (!Number.isInteger(ask.holidayPeriods) || ask.holidayPeriods < 0 || ask.holidayPeriods > MAX_HOLIDAY_PERIODS) throw new InvalidField('holidayPeriods', `a whole number from 0 to ${MAX_HOLIDAY_PERIODS}`);
    terms.holidayPeriods = ask.holidayPeriods;
    terms.holidayInterest = ask.holidayInterest ?? 'accrue';
  } else if (ask.holidayInterest != null) {
    throw new InvalidField('holidayInterest', 'the holiday\'s interest is chosen with a holiday: give holidayPeriods');
  }
  const changes = !terms.capitaliseArrears && terms.annualRatePercent === undefined && terms.instalments === undefined && !terms.holidayPeriods;
  if (changes) throw new InvalidField('capitaliseArrears', 'a restructure changes something: capitalise the arrears, or give a rate, a number of instalments or a holiday');
  return terms;
}

/** A restructure as the posting engine takes it. */
function restructureDraft(loanId: string, valueDate: string, terms: RestructureTerms, reason: string): Omit<PostingDraft, 'field'> {
  return { loanId, kind: 'restructure', valueDate, terms, reason };
}

/** Restructures, as both halves of a request know them. */
const RESTRUCTURES: LoanRequestKind<LoanRestructureRequest> = {
  kind: 'restructure', words: 'a restructure', entity: 'LoanRestructureRequest', stem: 'restructure',
  find: (tx, id) => tx.loanRestructureRequest.findUniqueOrThrow({ where: { id } }),
};

/**
 * The maker's half: nothing changes until another person approves it. The terms are tried against the loan as it
 * stands (a new schedule that would take what it owes to 10^15 is refused now, naming what adds the interest).
 */
export async function requestRestructure(db: TenantDb, command: CommandContext, businessDate: string, ask: RestructureAsk) {
  const reason = checkedRequest(ask, businessDate);
  const terms = termsOf(ask);
  return askLoanRequest(db, command, businessDate, RESTRUCTURES, {
    loanId: ask.loanId, nothing: 'there is nothing to restructure',
    draft: (loanId) => restructureDraft(loanId, ask.valueDate, terms, reason),
    create: (tx, row) => tx.loanRestructureRequest.create({ data: { ...row, valueDate: dateColumn(ask.valueDate), terms: terms as object, reason } }),
    shown: { valueDate: ask.valueDate, ...terms, reason },
    announce: (shown, loan) => ({ type: 'loan.restructureRequested', aggregateType: 'Loan', aggregateId: loan.id, payload: { ...shown, requestedBy: command.actor.subject } }),
  });
}

/** The checker's half: someone other than the maker approves (the restructure posts) or rejects it. */
export function decideRestructure(db: TenantDb, command: CommandContext, businessDate: string, requestId: string, approve: boolean, reason: string | null) {
  return decideLoanRequest(db, command, businessDate, RESTRUCTURES, {
    draft: (request) => restructureDraft(request.loanId, businessDateOf(request.valueDate), request.terms as unknown as RestructureTerms, request.reason),
    decide: (tx, id, data) => tx.loanRestructureRequest.update({ where: { id }, data }),
    announce: ({ approve, requestId, loanId, transactionId, reason: why }) => (approve
      ? { type: 'loan.restructureApproved', aggregateType: 'Loan', aggregateId: loanId, payload: { requestId, loanId, transactionId } }
      : { type: 'loan.restructureRejected', aggregateType: 'Loan', aggregateId: loanId, payload: { requestId, loanId, reason: why } }),
  }, requestId, approve, reason);
}
