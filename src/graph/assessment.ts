// An application's checks, decisions and offers (src/services/origination/assessment.ts): what each provider
// answered, each decision with the rule-set version, the input it read and every rule's outcome, and the offer.
import { DisbursementFeeTreatmentEnum, storedEnum } from './enums.js';
import { CREDIT_RULE_KINDS } from '../domain/origination/creditPolicy.js';
import { builder } from './builder.js';
import { actorField } from './actors.js';
import { Decimal, money } from '../domain/money.js';
import { roundApr } from '../domain/origination/apr.js';
import type { AprMethodName } from '../domain/servicing/product.js';
import { AprMethodEnum } from './loanTermsEnums.js';
import { commandDbOf, type GraphContext } from './context.js';
import { ApplicationRef, assessAs } from './application.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { inputPath } from '../errors.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import { inputShownToPartner, rulesShownToPartner } from '../domain/origination/decisionDisclosure.js';
import { listSize } from './limits.js';
import { objectPayload } from './payloads.js';

type CheckRow = Awaited<ReturnType<TenantDb['applicationCheck']['findUniqueOrThrow']>>;
type DecisionRow = Awaited<ReturnType<TenantDb['applicationDecision']['findUniqueOrThrow']>>;
type OfferRow = Awaited<ReturnType<TenantDb['applicationOffer']['findUniqueOrThrow']>>;

const CheckKindEnum = storedEnum('CheckKind', 'What a check of the applicant verifies.', {
  kyc: 'Identity (know your customer).',
  bureau: 'Credit bureau report.',
  income: 'Income verification.',
});

const CheckStatusEnum = storedEnum('CheckStatus', 'How a check came out.', {
  pending: 'An asynchronous provider will call back.',
  passed: 'Passed.',
  failed: 'Failed.',
  refer: 'Needs a person to look at it.',
  error: 'The provider answered with an error.',
  timeout: 'The provider did not answer in time.',
});

const CreditRuleKindEnum = storedEnum(
  'CreditRuleKind',
  'What a credit policy rule tests (docs/origination-rules.md describes each).',
  Object.fromEntries(CREDIT_RULE_KINDS.map((kind) => [kind, `The ${kind} rule.`])),
);

const DecisionOutcomeEnum = storedEnum('DecisionOutcome', 'What a decision (or a failed rule) leads to.', {
  APPROVE: 'Approve.',
  DECLINE: 'Decline.',
  REFER: 'Refer to an underwriter.',
});

const OfferStatusEnum = storedEnum('OfferStatus', 'Where an offer stands.', {
  open: 'Can be accepted until it expires.',
  accepted: 'Accepted by the borrower.',
  expired: 'Past its last day.',
  superseded: 'Replaced by a newer offer.',
});

type OfferFees = { disbursement: { amount: string; treatment: string } | null; perInstalment: string };

const OfferFeesRef = builder.objectRef<OfferFees & { currency: string }>('OfferFees').implement({
  description: 'The fees of an offer.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    disbursementFee: t.field({ type: 'Money', nullable: true, description: 'Fee at disbursement, if any.', resolve: (f) => (f.disbursement ? money(f.disbursement.amount, f.currency) : null) }),
    disbursementFeeTreatment: t.field({ type: DisbursementFeeTreatmentEnum, nullable: true, description: 'Whether the disbursement fee is deducted from what is paid out or financed.', resolve: (f) => f.disbursement?.treatment ?? null }),
    perInstalment: t.field({ type: 'Money', description: 'Fee due with every instalment.', resolve: (f) => money(f.perInstalment, f.currency) }),
  }),
});

const CheckRef = builder.objectRef<CheckRow>('ApplicationCheck').implement({
  description: 'One identity, bureau or income check of the applicant, with what the provider answered.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    kind: t.expose('kind', { type: CheckKindEnum, description: 'Identity (KYC), bureau or income.' }),
    provider: t.exposeString('provider', { description: 'The provider asked.' }),
    attempt: t.exposeInt('attempt', { description: '1 for the first round of checks; retries count up.' }),
    status: t.expose('status', { type: CheckStatusEnum, description: 'Pending (an asynchronous provider will call back), passed, failed, refer, error or timeout.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it failed to answer, for ERROR and TIMEOUT.' }),
    summary: t.field({ type: 'JSON', nullable: true, description: 'What the decision reads from it: an object whose fields depend on the check\'s kind.', resolve: (c) => c.summary }),
    raw: t.field({ type: 'JSON', nullable: true, description: 'The provider\'s whole response, as it sent it (staff only).', authScopes: { can: 'parties.read' }, resolve: (c) => c.raw }),
    requestedAt: t.field({ type: 'DateTime', description: 'When it was asked for.', resolve: (c) => c.requestedAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it answered.', resolve: (c) => c.completedAt }),
  }),
});

const RuleOutcomeRef = builder.objectRef<{ id: string; kind: string; passed: boolean; observed: unknown; threshold: string; outcomeIfFailed: string; reasonCode: string }>('PolicyRuleOutcome').implement({
  description: 'How one rule of the credit policy came out.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    rule: t.exposeString('id', { description: 'The rule\'s id in the rule set.' }),
    kind: t.expose('kind', { type: CreditRuleKindEnum, description: 'What it tests.' }),
    passed: t.exposeBoolean('passed', { description: 'Whether it passed.' }),
    observed: t.string({ nullable: true, description: 'What it saw.', resolve: (r) => (r.observed === null || r.observed === undefined ? null : String(r.observed)) }),
    threshold: t.exposeString('threshold', { description: 'What it had to be.' }),
    outcomeIfFailed: t.expose('outcomeIfFailed', { type: DecisionOutcomeEnum, description: 'DECLINE or REFER.' }),
    reasonCode: t.exposeString('reasonCode', { description: 'The adverse-action reason code it gives when it fails.' }),
  }),
});

const ReasonRef = builder.objectRef<{ code: string; message: string }>('DecisionReason').implement({
  description: 'A reason for a decision, usable on an adverse-action notice.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The reason code (docs/origination-rules.md).' }),
    message: t.exposeString('message', { description: 'In words.' }),
  }),
});

const DecisionRef = builder.objectRef<DecisionRow>('ApplicationDecision').implement({
  description: 'A decision on an application, explainable and reproducible: the rule-set version, its input and every rule\'s outcome.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    outcome: t.expose('outcome', { type: DecisionOutcomeEnum, description: 'Approve, decline or refer to an underwriter.' }),
    reasons: t.field({ type: [ReasonRef], description: 'Why.', resolve: (d) => d.reasons as unknown as { code: string; message: string }[] }),
    riskGrade: t.exposeString('riskGrade', { nullable: true, description: 'The risk grade from the bureau score.' }),
    maxAmount: t.field({ type: 'Decimal', nullable: true, description: 'The most the policy lends at that grade.', resolve: (d) => d.maxAmount?.toString() ?? null }),
    policyVersion: t.exposeInt('policyVersion', { nullable: true, description: 'The credit policy version that decided.' }),
    decidedBy: actorField(t, '`policy`, or the underwriter.', (d) => d.decidedBy),
    override: t.exposeBoolean('override', { description: 'A person decided against what the rules allowed.' }),
    overrideReason: t.exposeString('overrideReason', { nullable: true, description: 'Why, for an override.' }),
    decidedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (d) => d.decidedAt }),
    rules: t.field({
      type: [RuleOutcomeRef], description: 'Every rule\'s outcome. A partner is not shown what rules on the lender\'s history of the person observed (docs/origination-rules.md).',
      resolve: (d, _args, context) => {
        const rules = d.ruleOutcomes as unknown as { id: string; kind: string; passed: boolean; observed: unknown; threshold: string; outcomeIfFailed: string; reasonCode: string }[];
        return context.principal?.partner ? rulesShownToPartner(rules) : rules;
      },
    }),
    input: t.field({
      type: 'JSON',
      description: 'Everything the rules read, as an object: with the policy version, enough to reproduce the decision. A partner sees it without the lender\'s history of the person (`duplicates`).',
      resolve: (d, _args, context) => (context.principal?.partner ? inputShownToPartner(d.inputSnapshot as Record<string, unknown>) : d.inputSnapshot),
    }),
  }),
});

/** The APR method of an offer: its terms snapshot's, EU for offers made before terms named one. */
const aprMethodOf = (offer: OfferRow): AprMethodName => (offer.terms as { aprMethod?: AprMethodName } | null)?.aprMethod ?? 'eu';

export const OfferRef = builder.objectRef<OfferRow & { currency: string }>('ApplicationOffer').implement({
  description: 'An offer on an approved application.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The offer\'s own id, as events name it (`offerId`). An offer is accepted through its application: `acceptApplicationOffer(input: { applicationId })` accepts the open one.' }),
    status: t.expose('status', { type: OfferStatusEnum, description: 'Open, accepted, expired or superseded.' }),
    amount: t.field({ type: 'Money', description: 'The principal offered.', resolve: (o) => money(o.amount, o.currency) }),
    annualRatePercent: t.field({ type: 'Decimal', description: 'Nominal annual rate, by risk grade.', resolve: (o) => o.annualRatePercent.toString() }),
    numberOfRepayments: t.exposeInt('numberOfRepayments', { description: 'Tenor.' }),
    instalment: t.field({ type: 'Money', description: 'The first instalment.', resolve: (o) => money(o.instalment, o.currency) }),
    totalRepayable: t.field({ type: 'Money', description: 'Everything the borrower repays, fees included.', resolve: (o) => money(o.totalRepayable, o.currency) }),
    aprPercent: t.field({ type: 'Decimal', description: 'APR: the internal rate of return of the borrower\'s cash flows, fees included, to four decimals.', resolve: (o) => o.aprPercent.toString() }),
    aprMethod: t.field({ type: AprMethodEnum, description: 'How the APR was worked out: the product\'s terms\' method when the offer was made.', resolve: (o) => aprMethodOf(o) }),
    aprDisclosed: t.string({
      description: 'The APR as it is disclosed to the borrower, in percent: one decimal by the EU method, two by the US (half up).',
      resolve: (o) => roundApr(new Decimal(o.aprPercent.toString()), aprMethodOf(o) === 'us' ? 2 : 1),
    }),
    fees: t.field({ type: OfferFeesRef, description: 'The fees.', resolve: (o) => ({ ...(o.fees as unknown as OfferFees), currency: o.currency }) }),
    validUntil: t.field({ type: 'Date', description: 'Last day it can be accepted.', resolve: (o) => businessDateOf(o.validUntil) }),
    acceptedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was accepted.', resolve: (o) => o.acceptedAt }),
    consentSha256: t.exposeString('consentSha256', { nullable: true, description: 'SHA-256 of the consent text the borrower accepted.' }),
  }),
});

builder.objectFields(ApplicationRef, (t) => ({
  checks: t.field({
    type: [CheckRef], description: 'Every check, newest attempt first.', authScopes: { can: 'applications.read' },
    resolve: (a, _args, context) => checksOf(context, a.id),
  }),
  decisions: t.field({
    type: [DecisionRef], description: 'Every decision, oldest first (the policy\'s, then an underwriter\'s on a referral).', authScopes: { can: 'applications.read' },
    resolve: async (a, _args, context) => (await visible(context, a.id)) ? commandDbOf(context).applicationDecision.findMany({ where: { applicationId: a.id }, orderBy: { decidedAt: 'asc' }, take: listSize('Application.decisions') }) : [],
  }),
  offer: t.field({
    type: OfferRef, nullable: true, description: 'The current offer (open or accepted).', authScopes: { can: 'applications.read' },
    resolve: async (a, _args, context) => {
      if (!(await visible(context, a.id))) return null;
      const offer = await commandDbOf(context).applicationOffer.findFirst({ where: { applicationId: a.id, status: { in: ['open', 'accepted'] } } });
      return offer ? { ...offer, currency: a.currency } : null;
    },
  }),
}));

/**
 * Checks, decisions and offers hang off an application the caller has already read through its own scoped
 * client (a partner only its own), so they are read on the tenant's client after confirming that.
 */
async function visible(context: GraphContext, applicationId: string): Promise<boolean> {
  return (await context.loaders.applicationById.load(applicationId)) !== null;
}

async function checksOf(context: GraphContext, applicationId: string) {
  if (!(await visible(context, applicationId))) return [];
  return commandDbOf(context).applicationCheck.findMany({ where: { applicationId }, orderBy: [{ attempt: 'desc' }, { kind: 'asc' }], take: listSize('Application.checks') });
}

const AssessApplicationPayload = objectPayload('assessApplication', 'application', ApplicationRef, 'The application as the assessment left it: its checks, and its decision once every check has answered.');

builder.mutationField('assessApplication', (t) =>
  t.field({
    type: AssessApplicationPayload,
    description: 'Runs the checks of a submitted application (or retries failed ones) and decides it once every check has answered.',
    authScopes: { can: 'applications.create' },
    args: { input: t.arg({ type: builder.inputType('AssessApplicationInput', {
      description: 'The application to assess.',
      fields: (f) => ({ applicationId: f.globalID({ required: true, for: ApplicationRef, description: 'The application.' }) }),
    }), required: true, description: 'The application.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      await assessAs(context, input.applicationId.id, inputPath('applicationId'));
      return { application: await db.application.findUniqueOrThrow({ where: { id: input.applicationId.id } }) };
    },
  }),
);
