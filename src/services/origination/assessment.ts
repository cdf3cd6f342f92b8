// Assessing a submitted application: identity, bureau and income checks through the providers, then the
// product's credit policy, then — when approved — the offer. Provider calls happen between two commands, never
// inside a database transaction (a slow provider must not hold locks): the first starts the checks, the second
// records what came back and, once every check has answered, decides. An asynchronous provider answers later
// through the signed callback (recordProviderCallback, pendingChecks.ts), which completes the same way. A check that failed or
// timed out leaves the application `checks_failed`, saying which and why, until someone retries. An applicant
// whose data the checks cannot run without sends the application back, `information_requested`, listing it.
import { termsOfVersion, versionInForce } from '../coLending/arrangements.js';
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField } from '../../errors.js';
import { productRateBand } from '../../domain/origination/pricing.js';
import { Decimal } from '../../domain/money.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { daysBetween } from '../../domain/calendar.js';
import { evaluatePolicy, gradeFor, type CreditRuleSet, type PolicyDecision, type PolicyInput } from '../../domain/origination/creditPolicy.js';
import { makeOffer, termsForAffordability } from '../../domain/origination/offer.js';
import { termsUnderCashRounding } from '../currencies.js';
import { activePricing, assertPriced, noPricingRefusal, pricingTableOf } from './productPricing.js';
import type { ApplicationStatus } from '../../domain/origination/applicationStatus.js';
import type { BureauSummary, CheckKind, CompletedCheck, CheckResult, CheckedParty, IncomeSummary } from '../../domain/origination/checks/providers.js';
import type { CheckProviders } from './checkProviders.js';
import { generateSchedule } from '../../domain/servicing/schedule.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type AuditDraft, type EventDraft, type CommandContext } from '../../commands/runCommand.js';
import { productLimitsOf, productVersion } from '../servicing/loanProducts.js';
import type { DataKey } from '../../tenancy/sealing.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { asSubmitted, revealIdentifier, type SubmittedParty } from './parties.js';
import { missingOnFile, transition } from './applications.js';
import type { PendingCheck } from './pendingChecks.js';
import { describeMissing } from '../../domain/origination/requiredInformation.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { addDays } from '../../domain/calendar.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';

/** A provider that has not answered in this long is recorded as timed out (retryable). */
export const PROVIDER_TIMEOUT_MS = 10_000;

const FINAL: readonly string[] = ['declined', 'withdrawn', 'expired', 'disbursed'];

type ApplicationRow = Awaited<ReturnType<TenantDb['application']['findUniqueOrThrow']>>;
type CheckRow = Awaited<ReturnType<TenantDb['applicationCheck']['findUniqueOrThrow']>>;

interface Outcome {
  audit: AuditDraft[];
  events: EventDraft[];
}

/** What the providers need about the main applicant, or what is missing (named as the application names it). */
async function checkedApplicant(tx: Tx, dataKey: DataKey, application: ApplicationRow): Promise<{ partyId: string; party: CheckedParty | null; missing: string[] }> {
  // The same list the submission was checked against, from what this application's submitter sent.
  const { missing } = await missingOnFile(tx, application);
  const sent = await applicantAsSubmitted(tx, application.id);
  if (missing.length > 0) return { partyId: sent.partyId, party: null, missing };
  const identifier = sent.applicant.identifiers.find((i) => i.kind === 'national_id')!;
  return {
    partyId: sent.partyId,
    missing,
    party: {
      legalName: sent.applicant.legalName, dateOfBirth: sent.applicant.dateOfBirth!, nationalId: revealIdentifier(dataKey, identifier.sealed),
      phone: sent.applicant.phone!, email: sent.applicant.email!, address: sent.applicant.address as unknown as CheckedParty['address'],
    },
  };
}

/**
 * The main applicant as this application's submitter gave it (checks, decisions and documents read this, never
 * what another channel told the lender about the same party), and the party it resolved to.
 */
export async function applicantAsSubmitted(tx: Tx, applicationId: string): Promise<{ partyId: string; applicant: SubmittedParty }> {
  const link = await tx.applicationParty.findFirstOrThrow({ where: { applicationId, role: 'applicant' }, include: { party: true } });
  const identifiers = link.submitted ? [] : await tx.partyIdentifier.findMany({ where: { partyId: link.partyId } });
  return { partyId: link.partyId, applicant: asSubmitted(link, link.party, identifiers) };
}

async function loadForMove(tx: Tx, applicationId: string, partner: string | null): Promise<ApplicationRow> {
  const application = await tx.application.findUnique({ where: { id: applicationId } });
  if (!application || (partner !== null && application.originationPartner !== partner)) throw new InvalidField('applicationId', 'no application with that id');
  return application;
}

interface StartedChecks {
  applicationId: string;
  status: ApplicationStatus;
  requests: { checkId: string; kind: CheckKind }[];
  party: CheckedParty | null;
  currency: string;
  declaredMonthlyIncome: string | null;
  employer: string | null;
}

/**
 * First command: the application moves to checks and one pending check per kind is recorded. `namedBy` is what
 * named the application (`transition`).
 */
async function startChecks(
  db: TenantDb, deps: AssessmentDeps, command: CommandContext, businessDate: string, applicationId: string, namedBy: string | null, partner: string | null,
): Promise<StartedChecks> {
  return runCommand<StartedChecks>(db, { ...command, action: 'application.startChecks' }, async (tx) => {
    const application = await loadForMove(tx, applicationId, partner);
    const out: Outcome = { audit: [], events: [] };
    const event = application.status === 'submitted' ? 'start_checks' : 'retry_checks';
    const moved = await transition(tx, application, event, namedBy, command.actor.subject, command.now);
    out.events.push(moved.event);
    out.audit.push(moved.audit);
    const applicant = await checkedApplicant(tx, deps.dataKey, application);
    if (!applicant.party) {
      // Nothing to send: the application goes back to its submitter saying what is missing, to be amended
      // (updateApplication) and submitted again, rather than being decided blind or left failed with no way out.
      const returned = await transition(tx, application, 'request_information', namedBy, command.actor.subject, command.now, describeMissing(applicant.missing), {
        missingInformation: applicant.missing,
      });
      await tx.application.update({ where: { id: applicationId }, data: { missingInformation: applicant.missing, informationRequestedOn: dateColumn(businessDate) } });
      out.events.push(returned.event);
      out.audit.push({ ...returned.audit, after: { ...(returned.audit.after as object), missingInformation: applicant.missing } });
      return { result: { applicationId, status: returned.to, requests: [], party: null, currency: application.currency, declaredMonthlyIncome: null, employer: null }, ...out };
    }
    const previous = await tx.applicationCheck.aggregate({ where: { applicationId }, _max: { attempt: true } });
    const attempt = (previous._max.attempt ?? 0) + 1;
    const requests = (['kyc', 'bureau', 'income'] as const).map((kind) => ({ checkId: randomUUID(), kind }));
    await tx.applicationCheck.createMany({
      data: requests.map(({ checkId, kind }) => ({
        id: checkId, applicationId, partyId: applicant.partyId, kind, provider: deps.providers.names[kind], attempt, status: 'pending', requestedAt: command.now,
      })),
    });
    return {
      result: {
        applicationId, status: moved.to, requests, party: applicant.party, currency: application.currency,
        declaredMonthlyIncome: application.declaredMonthlyIncome?.toString() ?? null, employer: application.employer,
      },
      ...out,
    };
  });
}

function withTimeout<S>(call: Promise<CheckResult<S>>, ms: number): Promise<CheckResult<S>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult<S>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout', reason: `no answer in ${ms} ms` }), ms);
  });
  return Promise.race([call.catch((error: unknown) => ({ status: 'error' as const, reason: error instanceof Error ? error.message.slice(0, 300) : 'provider failed' })), timeout])
    .finally(() => clearTimeout(timer));
}

export interface AssessmentDeps {
  dataKey: DataKey;
  providers: CheckProviders;
  /** Follows up checks left pending (callbacks, deadlines: pendingChecks.ts), inside the transaction recording them. */
  followUpPending?: (tx: Tx, pending: PendingCheck[]) => Promise<void>;
}

/** Records one provider answer on its check row. */
export async function recordCheckResult(tx: Tx, checkId: string, result: CheckResult<unknown>, now: Date): Promise<void> {
  let data: Parameters<Tx['applicationCheck']['update']>[0]['data'];
  if (result.status === 'pending') data = { status: 'pending', providerReference: result.providerReference };
  else if (result.status === 'error' || result.status === 'timeout') data = { status: result.status, reason: result.reason, completedAt: now };
  else {
    const completed = result as CompletedCheck<unknown>;
    data = { status: completed.status, summary: JSON.parse(JSON.stringify(completed.summary)), raw: completed.raw as object, completedAt: now };
  }
  await tx.applicationCheck.update({ where: { id: checkId }, data });
}

/**
 * Once every check of the latest attempt has answered: a failed or timed-out one fails the checks (retryable);
 * otherwise the checks are complete and the credit policy decides, and an approval gets its offer. `namedBy` is
 * what named the application (`transition`): the assessing mutation's input, a provider callback's reference, or
 * nothing for a check's deadline.
 */
export async function completeAssessment(tx: Tx, command: CommandContext, businessDate: string, applicationId: string, namedBy: string | null): Promise<Outcome> {
  // Two answers to the last two checks, recorded at once, would each find the other's check still pending and leave
  // the application under checks for good. Holding its row, the second reads the checks only once the first has
  // committed, and sees its answer. (The lock an UPDATE of the row takes anyway: rows that merely reference the
  // application, its transitions and documents, are not held up.)
  await tenantSql(tx, schemaForSlug(command.tenant)).query((schema) => `SELECT 1 FROM ${schema}.application WHERE id = $1::uuid FOR NO KEY UPDATE`, applicationId);
  const application = await tx.application.findUniqueOrThrow({ where: { id: applicationId } });
  const out: Outcome = { audit: [], events: [] };
  if (application.status !== 'under_checks') return out;
  const latest = await tx.applicationCheck.aggregate({ where: { applicationId }, _max: { attempt: true } });
  const checks = await tx.applicationCheck.findMany({ where: { applicationId, attempt: latest._max.attempt ?? 0 } });
  if (checks.some((c) => c.status === 'pending')) return out;
  const unanswered = checks.filter((c) => c.status === 'error' || c.status === 'timeout');
  if (unanswered.length > 0) {
    const reason = unanswered.map((c) => `${c.kind} ${c.status === 'timeout' ? 'timed out' : 'failed'}: ${c.reason ?? ''}`.trim()).join('; ');
    const moved = await transition(tx, application, 'check_failed', namedBy, command.actor.subject, command.now, reason);
    return { audit: [moved.audit], events: [moved.event] };
  }
  const complete = await transition(tx, application, 'checks_complete', namedBy, command.actor.subject, command.now);
  out.events.push(complete.event);
  out.audit.push(complete.audit);

  const policy = await tx.creditPolicy.findFirst({ where: { productId: application.productId, status: 'active' } });
  const ruleSet = (policy?.ruleSet ?? null) as unknown as CreditRuleSet | null;
  // Read once for the rules' instalment and the offer: the product's current terms and its active pricing.
  const terms = await currentTerms(tx, application.productId);
  const input = await policyInput(tx, application, checks, businessDate, ruleSet, terms);
  let decision: PolicyDecision = ruleSet
    ? evaluatePolicy(ruleSet, input)
    : { policy: 'none', version: 0, outcome: 'REFER', reasons: [{ code: 'NO_ACTIVE_POLICY' as never, message: 'the product has no active credit policy: an underwriter decides' }], riskGrade: null, maxAmount: '0', rules: [] };
  // An approval the lender's set-up cannot make an offer on goes to an underwriter, saying why, rather than failing
  // the submission after it was written and leaving the application in its checks.
  const offered = decision.outcome === 'APPROVE' ? await pricedOrRefused(tx, businessDate, application, decision, terms) : null;
  if (offered && 'refused' in offered) {
    decision = { ...decision, outcome: 'REFER', reasons: [...decision.reasons, { code: 'NO_OFFER_POSSIBLE' as never, message: `the policy approves it, but ${offered.refused.message}` }] };
  }
  const decisionId = randomUUID();
  await tx.applicationDecision.create({
    data: {
      id: decisionId, applicationId, policyId: policy?.id ?? null, policyVersion: policy?.version ?? null, outcome: decision.outcome,
      reasons: decision.reasons as unknown as object, riskGrade: decision.riskGrade, maxAmount: decision.maxAmount,
      inputSnapshot: JSON.parse(JSON.stringify(input)), ruleOutcomes: decision.rules as unknown as object, decidedByKind: 'policy', decidedBy: SYSTEM_ACTORS.policy, decidedAt: command.now,
    },
  });
  const summary = { decisionId, outcome: decision.outcome, riskGrade: decision.riskGrade, reasons: decision.reasons.map((r) => r.code), policyVersion: policy?.version ?? null };
  const event = decision.outcome === 'APPROVE' ? 'approve' : decision.outcome === 'DECLINE' ? 'decline' : 'refer';
  const decided = await transition(tx, application, event, namedBy, SYSTEM_ACTORS.policy, command.now, decision.reasons.map((r) => r.code).join(', ') || null, { decision: summary });
  out.events.push(decided.event);
  out.audit.push({ ...decided.audit, after: { ...(decided.audit.after as object), decision: summary } });
  if (offered && 'priced' in offered) out.events.push(...(await offerFor(tx, command, businessDate, application, decisionId, decision, false, offered.priced)).events);
  return out;
}

/** What an offer is priced from: the product, its current terms version (under the currency's cash rounding), its active pricing. */
async function currentTerms(tx: Tx, productId: string) {
  const product = await tx.loanProduct.findUniqueOrThrow({ where: { id: productId } });
  const version = (await productVersion(tx as unknown as TenantDb, product))!;
  return { product, version, terms: await termsUnderCashRounding(tx, version.terms), pricing: await activePricing(tx, product.id) };
}
type CurrentTerms = Awaited<ReturnType<typeof currentTerms>>;

/** Everything the rules read, exactly as they read it: stored with the decision. */
async function policyInput(tx: Tx, application: ApplicationRow, checks: CheckRow[], businessDate: string, ruleSet: CreditRuleSet | null, current: CurrentTerms): Promise<PolicyInput> {
  const byKind = new Map(checks.map((c) => [c.kind, c]));
  const kyc = byKind.get('kyc');
  const bureau = byKind.get('bureau')?.summary as unknown as (Omit<BureauSummary, 'totalMonthlyDebtPayments'> & { totalMonthlyDebtPayments: { amount: string } }) | undefined;
  const income = byKind.get('income');
  const incomeSummary = income?.summary as unknown as (Omit<IncomeSummary, 'verifiedMonthlyIncome'> & { verifiedMonthlyIncome: { amount: string } }) | undefined;
  const party = await applicantAsSubmitted(tx, application.id);
  const born = party.applicant.dateOfBirth ?? businessDate;
  const age = Math.floor(daysBetween(born, businessDate) / 365.2425);
  // The instalment the debt-to-income rule counts, priced as the offer would be (docs/origination-rules.md): the
  // product's current terms under the currency's cash rounding, at the pricing's rate for the applicant's grade.
  const grade = ruleSet ? gradeFor(ruleSet, bureau?.score ?? null)?.grade ?? null : null;
  const priced = termsForAffordability(current.terms, current.pricing && pricingTableOf(current.pricing), grade, application.numberOfRepayments);
  const schedule = generateSchedule(priced, { principal: application.amount.toString(), disbursementDate: businessDate });
  const windowDays = ruleSet?.rules.reduce((days, rule) => (rule.kind === 'maxRecentApplications' ? Math.max(days, rule.days) : days), 0) || 30;
  const since = dateColumn(addDays(businessDate, -windowDays));
  const [openApplications, recent] = await Promise.all([
    tx.applicationParty.count({ where: { partyId: party.partyId, applicationId: { not: application.id }, application: { status: { notIn: [...FINAL] } } } }),
    tx.applicationParty.count({ where: { partyId: party.partyId, application: { createdOn: { gte: since } } } }),
  ]);
  const declaredDebt = new Decimal(application.monthlyDebtPayments?.toString() ?? 0);
  const bureauDebt = new Decimal(bureau?.totalMonthlyDebtPayments.amount ?? 0);
  return {
    applicantAge: age,
    monthlyIncome: income?.status === 'passed' || income?.status === 'refer' ? incomeSummary!.verifiedMonthlyIncome.amount : (application.declaredMonthlyIncome?.toString() ?? '0'),
    monthlyDebtPayments: Decimal.max(declaredDebt, bureauDebt).toFixed(),
    requestedAmount: application.amount.toString(),
    requestedTenorMonths: application.numberOfRepayments,
    instalment: schedule.instalments[0]!.total.toFixed(),
    bureau: {
      score: bureau?.score ?? null, openTradelines: bureau?.openTradelines ?? 0, worstDelinquency12m: bureau?.worstDelinquency12m ?? 0, enquiries6m: bureau?.enquiries6m ?? 0,
    },
    kyc: kyc?.status === 'passed' ? 'pass' : kyc?.status === 'failed' ? 'fail' : 'review',
    incomeVerified: income?.status === 'passed',
    duplicates: { openApplications, applicationsLastDays: recent, windowDays },
  };
}

/** The arrangement an application is to be co-lent under, as its offer blends it: the version in force, or a refusal. */
async function coLendingOf(tx: Tx, arrangementId: string, businessDate: string) {
  const version = await versionInForce(tx, arrangementId);
  if (!version) throw new AppError('CONFLICT', 'the application is to be co-lent under an arrangement with no version in force: approve one, or take the application off it', { field: inputPath('applicationId') });
  const terms = termsOfVersion(version);
  // What would refuse the share at disbursement refuses the offer now, rather than leave an offer that cannot be paid out.
  if (businessDate < terms.validFrom || (terms.validTo !== null && businessDate > terms.validTo)) {
    throw new AppError('CONFLICT', `the application is to be co-lent under an arrangement whose version in force is not valid on ${businessDate}: take the application off it`, { field: inputPath('applicationId') });
  }
  return { arrangementId, version: version.version, sharePercent: terms.sharePercent, partnerRatePercent: terms.partnerRatePercent };
}

type OfferDecision = Pick<PolicyDecision, 'policy' | 'version' | 'outcome' | 'riskGrade' | 'maxAmount'>;

/**
 * The offer an approved decision gets, priced but not written: by grade with the product's active pricing on the
 * product's current terms (not those of when the application was made). When none can be made — no pricing, a
 * co-lending arrangement not in force, or terms the offer's rules refuse (the most the grade lends is below the
 * product's minimum, fees that leave no APR an offer can state) — a CONFLICT says why: the lender's set-up, never
 * the caller's input, stands in the way.
 */
async function priceOffer(tx: Tx, businessDate: string, application: ApplicationRow, decision: OfferDecision, referralApproved: boolean, current?: CurrentTerms) {
  const { product, version, terms, pricing } = current ?? await currentTerms(tx, application.productId);
  if (!pricing) throw noPricingRefusal(product.code);
  const coLent = application.coLendingArrangementId ? await coLendingOf(tx, application.coLendingArrangementId, businessDate) : null;
  try {
    const offer = makeOffer({
      product: {
        code: product.code, version: version.version, terms,
        limits: { ...productLimitsOf(product), annualRatePercent: productRateBand(product) },
      },
      decision, referralApproved, pricing: pricingTableOf(pricing), requestedAmount: application.amount.toString(), numberOfRepayments: application.numberOfRepayments,
      decisionDate: businessDate,
      coLending: coLent && { partners: [coLent] },
    });
    return { offer, version, pricing, coLent };
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    throw new AppError('CONFLICT', `no offer can be made on product ${product.code} for this application: ${error.message}`, { reason: 'NO_OFFER_POSSIBLE' });
  }
}

type PricedOffer = Awaited<ReturnType<typeof priceOffer>>;

/** An approved decision's offer, priced, or why none can be made (priceOffer's refusal). */
async function pricedOrRefused(tx: Tx, businessDate: string, application: ApplicationRow, decision: OfferDecision, current: CurrentTerms): Promise<{ priced: PricedOffer } | { refused: AppError }> {
  try {
    return { priced: await priceOffer(tx, businessDate, application, decision, false, current) };
  } catch (error) {
    if (error instanceof AppError && error.code === 'CONFLICT') return { refused: error };
    throw error;
  }
}

/**
 * The offer on an approved decision (priceOffer), written; any earlier open offer is superseded. The offer records
 * the pricing and terms versions it used. When none can be made the command is refused, saying why.
 */
export async function offerFor(
  tx: Tx, command: CommandContext, businessDate: string, application: ApplicationRow, decisionId: string,
  decision: OfferDecision, referralApproved: boolean, priced?: PricedOffer,
): Promise<Outcome> {
  const { offer, version, pricing, coLent } = priced ?? await priceOffer(tx, businessDate, application, decision, referralApproved);
  await tx.applicationOffer.updateMany({ where: { applicationId: application.id, status: 'open' }, data: { status: 'superseded' } });
  const offerId = randomUUID();
  await tx.applicationOffer.create({
    data: {
      id: offerId, applicationId: application.id, decisionId, amount: offer.amount, annualRatePercent: offer.annualRatePercent, numberOfRepayments: offer.numberOfRepayments,
      instalment: offer.firstInstalment.amount, totalRepayable: offer.totalRepayable, aprPercent: offer.apr.percent, fees: offer.fees as unknown as object,
      ...(coLent ? {
        coLending: {
          arrangementId: coLent.arrangementId, version: coLent.version, sharePercent: coLent.sharePercent.toFixed(), partnerRatePercent: coLent.partnerRatePercent.toFixed(),
          lenderRatePercent: offer.blendedFrom!.lenderRatePercent,
        },
      } : {}),
      terms: offer.terms as object, validUntil: dateColumn(offer.validUntil), status: 'open', createdAt: command.now,
      pricingId: pricing.id, pricingVersion: pricing.version, productVersion: version.version,
    },
  });
  return {
    audit: [],
    events: [{
      type: 'application.offerMade', aggregateType: 'Application', aggregateId: application.id, partnerScope: application.originationPartner,
      payload: { applicationId: application.id, offerId, amount: { amount: offer.amount, currency: application.currency }, annualRatePercent: offer.annualRatePercent, aprPercent: offer.apr.percent, validUntil: offer.validUntil },
    }],
  };
}

/** Before any provider is called: an application on a product nobody has priced could never get its offer. */
async function refuseUnpriced(db: TenantDb, applicationId: string, partner: string | null): Promise<void> {
  const application = await db.application.findUnique({ where: { id: applicationId }, select: { productId: true, originationPartner: true } });
  if (!application || (partner !== null && application.originationPartner !== partner)) return;
  await assertPriced(db, application.productId);
}

/**
 * Runs the checks of a submitted (or failed, or referred) application and decides it when they all answer.
 * Returns the status it ends in: a decision, `under_checks` while an asynchronous provider is still out,
 * `checks_failed`, or `information_requested` when the applicant's data is incomplete. `namedBy` is the input
 * field that named the application, or null when it is assessed as it is created.
 */
export async function assessApplication(
  db: TenantDb, deps: AssessmentDeps, command: CommandContext, businessDate: string, applicationId: string, namedBy: string | null, partner: string | null,
): Promise<{ status: string }> {
  await refuseUnpriced(db, applicationId, partner);
  const started = await startChecks(db, deps, command, businessDate, applicationId, namedBy, partner);
  if (!started.party) return { status: started.status };
  const party = started.party;
  const results = await Promise.all(started.requests.map(({ checkId, kind }) => {
    const reference = checkId;
    const call = kind === 'kyc' ? deps.providers.kyc({ reference, party }, command.now)
      : kind === 'bureau' ? deps.providers.bureau({ reference, party, currency: started.currency }, command.now)
        : deps.providers.income({
          reference, party, employer: started.employer ?? '',
          declaredMonthlyIncome: { amount: new Decimal(started.declaredMonthlyIncome ?? 0), currency: started.currency },
        }, command.now);
    return withTimeout(call as Promise<CheckResult<unknown>>, PROVIDER_TIMEOUT_MS).then((result) => ({ checkId, kind, result }));
  }));
  return runCommand(db, { ...command, action: 'application.recordChecks' }, async (tx) => {
    for (const { checkId, result } of results) await recordCheckResult(tx, checkId, result, command.now);
    const pending = results.flatMap(({ checkId, kind, result }) =>
      result.status === 'pending' ? [{ checkId, kind, provider: deps.providers.names[kind], providerReference: result.providerReference }] : []);
    if (pending.length > 0) await deps.followUpPending?.(tx, pending);
    const out = await completeAssessment(tx, command, businessDate, applicationId, namedBy);
    const application = await tx.application.findUniqueOrThrow({ where: { id: applicationId } });
    return {
      result: { status: application.status },
      audit: [
        { entityType: 'Application', entityId: applicationId, after: { checks: results.map((r) => ({ kind: r.kind, status: r.result.status })) } },
        ...out.audit,
      ],
      events: [
        ...results.map((r) => ({
          type: 'application.checkAnswered', aggregateType: 'Application', aggregateId: applicationId, partnerScope: application.originationPartner,
          payload: { applicationId, kind: r.kind, status: r.result.status },
        })),
        ...out.events,
      ],
    };
  });
}

