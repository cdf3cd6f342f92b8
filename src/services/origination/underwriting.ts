// Underwriting of referred applications. An underwriter (the maker) recommends approving or
// declining a referred application; someone else with the authority (the checker) decides the recommendation.
//
// Decisions:
// - One pending recommendation per application: the service checks first and the database's partial unique index
//   (approval_request_pending_idx) refuses a concurrent twin; both are a CONFLICT saying so.
// - Whether a recommendation to approve overrides the rules is computed here from the stored policy decision,
//   never taken from the caller: it does when the policy's decision failed a DECLINE rule or the amount exceeds the
//   grade's maximum. An override needs a reason of at least OVERRIDE_REASON_MIN characters.
// - The amount recommended defaults to the application's and may be less (a counter-offer), never more: an offer
//   never lends more than was asked.
// - Authority comes from the tenant's active approval authority matrix (services/origination/
//   approvalAuthorityMatrices.ts; sandbox tenants start with SANDBOX_AUTHORITY_MATRIX in their currency). A
//   checker's roles map to matrix levels as that version says (the sandbox's: underwriter → `underwriter`,
//   credit-approver → `senior_underwriter`, tenant-admin → `credit_committee`, no limit). The matrix governs
//   approving a recommendation to approve (that lends money); confirming a recommendation to decline, or
//   rejecting any recommendation, lends nothing and needs only the capability and a second person.
// - Approving a recommendation to approve records an underwriter's decision (APPROVE) that copies the input
//   snapshot and rule outcomes of the policy decision it confirms or overrides, with max_amount = the amount
//   approved; the offer is then made from it, so it lends at most that amount. Approving a recommendation to
//   decline records an underwriter's DECLINE with the policy's reasons (for the adverse-action notice).
// - Rejecting a recommendation only closes it: the application stays referred and a new recommendation may follow.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, isUniqueViolation, statusInWords } from '../../errors.js';
import { Decimal, minorUnits } from '../../domain/money.js';
import { mayApprove, SANDBOX_AUTHORITY_ROLES, type AuthorityRoles } from '../../domain/origination/approvalAuthority.js';
import { activeAuthority } from './approvalAuthorityMatrices.js';
import type { TenantRecord } from '../../tenancy/registry.js';
import type { RuleResult } from '../../domain/origination/creditPolicy.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type AuditDraft, type EventDraft, type CommandContext } from '../../commands/runCommand.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { transition } from './applications.js';
import { offerFor } from './assessment.js';
import { lockPendingRequest, refuseMakerAsChecker } from '../../commands/pendingRequests.js';

/** The shortest reason an override of the credit policy may give. */
export const OVERRIDE_REASON_MIN = 10;

/** The levels each role holds in the sandbox matrix; a tenant's active matrix says its own. */
export const AUTHORITY_LEVELS_BY_ROLE: Readonly<AuthorityRoles> = SANDBOX_AUTHORITY_ROLES;

/** The matrix levels someone holding `roles` has, as `held` (the active matrix's roles) says. */
export function authorityLevelsFor(roles: readonly string[], held: Readonly<AuthorityRoles> = AUTHORITY_LEVELS_BY_ROLE): string[] {
  return [...new Set(roles.flatMap((role) => (Object.hasOwn(held, role) ? held[role]! : [])))];
}

/** The roles that hold any of `levels`, for telling a refused checker who may. */
export function rolesHolding(levels: readonly string[], held: Readonly<AuthorityRoles> = AUTHORITY_LEVELS_BY_ROLE): string[] {
  return Object.entries(held).filter(([, mine]) => mine.some((level) => levels.includes(level))).map(([role]) => role);
}

export interface Recommendation {
  applicationId: string;
  recommendation: 'approve' | 'decline';
  /** Decimal text; the application's amount when absent. */
  amount?: string | null;
  reason: string;
  /** Ignored: whether a recommendation overrides the rules is computed from the stored decision. */
  override?: boolean | null;
}

type DecisionRow = Awaited<ReturnType<TenantDb['applicationDecision']['findUniqueOrThrow']>>;

const PENDING_CONFLICT = 'this application already has a pending approval request: it must be approved or rejected before another recommendation';

/** The latest decision the credit policy made on the application. */
async function policyDecisionOf(tx: Tx, applicationId: string): Promise<DecisionRow> {
  const decision = await tx.applicationDecision.findFirst({ where: { applicationId, decidedByKind: 'policy' }, orderBy: { decidedAt: 'desc' } });
  if (!decision) throw new AppError('CONFLICT', 'the application has no credit policy decision to underwrite', { field: inputPath('applicationId') });
  return decision;
}

/** Why approving `amount` would override the policy's decision; empty when it would not. */
export function overrideGrounds(decision: Pick<DecisionRow, 'ruleOutcomes' | 'maxAmount' | 'riskGrade'>, amount: Decimal): string[] {
  const rules = (decision.ruleOutcomes ?? []) as unknown as RuleResult[];
  const grounds = rules.filter((r) => !r.passed && r.outcomeIfFailed === 'DECLINE').map((r) => `rule ${r.id} (${r.reasonCode}) would decline`);
  const max = decision.maxAmount === null ? new Decimal(0) : new Decimal(decision.maxAmount.toString());
  if (amount.gt(max)) grounds.push(`the amount is above the maximum for ${decision.riskGrade === null ? 'an application without a risk grade' : `grade ${decision.riskGrade}`} (${max.toFixed()})`);
  return grounds;
}

function parseAmount(text: string, currency: string): Decimal {
  let amount: Decimal;
  try {
    amount = new Decimal(text);
  } catch {
    throw new InvalidField('amount', 'amount must be a decimal number');
  }
  if (!amount.isFinite() || !amount.gt(0) || amount.decimalPlaces() > minorUnits(currency)) {
    throw new InvalidField('amount', `amount must be more than zero, in whole minor units of ${currency}`);
  }
  return amount;
}

/** An underwriter's recommendation on a referred application: a pending approval request for someone else to decide. */
export async function recommend(db: TenantDb, command: CommandContext, _businessDate: string, input: Recommendation): Promise<{ requestId: string; override: boolean }> {
  if (input.recommendation !== 'approve' && input.recommendation !== 'decline') throw new InvalidField('recommendation', 'recommendation is `approve` or `decline`');
  const reason = (input.reason ?? '').trim();
  if (reason === '') throw new InvalidField('reason', 'a recommendation needs a reason');
  if (reason.length > 2000) throw new InvalidField('reason', 'reason must be at most 2000 characters');
  return runCommand(db, { ...command, action: 'application.recommend' }, async (tx) => {
    const application = await tx.application.findUnique({ where: { id: input.applicationId } });
    if (!application) throw new InvalidField('applicationId', 'no application with that id');
    if (application.status !== 'referred') {
      throw new AppError('CONFLICT', `only a referred application can be recommended; this one is ${statusInWords(application.status)}`, { field: inputPath('applicationId'), reason: 'NOT_REFERRED' });
    }
    const pending = await tx.approvalRequest.findFirst({ where: { applicationId: application.id, status: 'pending' } });
    if (pending) throw new AppError('CONFLICT', PENDING_CONFLICT, { field: inputPath('applicationId'), reason: 'APPROVAL_PENDING' });
    const requested = new Decimal(application.amount.toString());
    const amount = input.amount === null || input.amount === undefined || input.amount === '' ? requested : parseAmount(input.amount, application.currency);
    if (amount.gt(requested)) throw new InvalidField('amount', `amount may not be more than the application asks for (${requested.toFixed(minorUnits(application.currency))})`);
    const decision = await policyDecisionOf(tx, application.id);
    let override = false;
    let grounds: string[] = [];
    if (input.recommendation === 'approve') {
      if (decision.riskGrade === null) {
        throw new InvalidField('recommendation', 'an application without a risk grade cannot be priced, so it cannot be approved; retry the checks for a bureau score, or recommend declining');
      }
      grounds = overrideGrounds(decision, amount);
      override = grounds.length > 0;
      if (override && reason.length < OVERRIDE_REASON_MIN) {
        throw new InvalidField('reason', `approving this overrides the credit policy (${grounds.join('; ')}): give a reason of at least ${OVERRIDE_REASON_MIN} characters`);
      }
    }
    const id = randomUUID();
    const places = minorUnits(application.currency);
    try {
      await tx.approvalRequest.create({
        data: {
          id, applicationId: application.id, recommendation: input.recommendation, amount: amount.toFixed(places), riskGrade: decision.riskGrade, override, reason,
          status: 'pending', requestedBy: command.actor.subject, requestedAt: command.now,
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', PENDING_CONFLICT, { field: inputPath('applicationId'), reason: 'APPROVAL_PENDING' });
      throw error;
    }
    const shown = {
      requestId: id, applicationId: application.id, recommendation: input.recommendation, amount: amount.toFixed(places), currency: application.currency,
      riskGrade: decision.riskGrade, override, ...(override ? { overrideGrounds: grounds } : {}), policyDecisionId: decision.id,
    };
    return {
      result: { requestId: id, override },
      audit: { entityType: 'ApprovalRequest', entityId: id, after: { ...shown, reason, status: 'pending' } },
      events: [{
        type: 'application.approvalRecommended', aggregateType: 'Application', aggregateId: application.id, partnerScope: application.originationPartner,
        payload: {
          requestId: id, applicationId: application.id, recommendation: input.recommendation, amount: { amount, currency: application.currency },
          riskGrade: decision.riskGrade, override, ...(override ? { overrideGrounds: grounds } : {}), policyDecisionId: decision.id,
        },
      }],
    };
  });
}

/**
 * The checker's decision on an approval request. Approving it carries out the recommendation (the application is
 * approved with an offer, or declined); rejecting it closes the request and leaves the application referred.
 */
export async function decide(
  db: TenantDb, command: CommandContext, tenant: Pick<TenantRecord, 'businessDate' | 'sandbox' | 'currency'>, requestId: string, approve: boolean, reason: string | null,
): Promise<{ requestId: string; applicationStatus: string }> {
  const businessDate = tenant.businessDate;
  const why = reason?.trim() || null;
  if (!approve && why === null) throw new InvalidField('reason', 'a rejection needs a reason');
  return runCommand(db, { ...command, action: approve ? 'application.approveRecommendation' : 'application.rejectRecommendation' }, async (tx) => {
    await lockPendingRequest(tx, command.tenant, 'approval', requestId);
    const request = await tx.approvalRequest.findUniqueOrThrow({ where: { id: requestId } });
    refuseMakerAsChecker(request.requestedBy, command.actor.subject, 'recommendation');
    const application = await tx.application.findUniqueOrThrow({ where: { id: request.applicationId } });
    const before = { status: 'pending' };
    const decided = { decidedBy: command.actor.subject, decidedAt: command.now, decisionReason: why };
    const audit: AuditDraft[] = [];
    const events: EventDraft[] = [];
    const scope = application.originationPartner;
    if (!approve) {
      await tx.approvalRequest.update({ where: { id: requestId }, data: { status: 'rejected', ...decided } });
      return {
        result: { requestId, applicationStatus: application.status },
        audit: { entityType: 'ApprovalRequest', entityId: requestId, before, after: { status: 'rejected', reason: why } },
        events: [{
          type: 'application.approvalRequestRejected', aggregateType: 'Application', aggregateId: application.id, partnerScope: scope,
          payload: { applicationId: application.id, requestId, recommendation: request.recommendation },
        }],
      };
    }
    if (application.status !== 'referred') {
      throw new AppError('CONFLICT', `the application is no longer referred (it is ${statusInWords(application.status)}); reject this request instead`, { field: inputPath('requestId'), reason: 'NOT_REFERRED' });
    }
    const policyDecision = await policyDecisionOf(tx, application.id);
    const amount = new Decimal(request.amount.toString());
    const places = minorUnits(application.currency);
    let authority: { level: string; limit: string | null; matrixVersion: number } | null = null;
    if (request.recommendation === 'approve') {
      // The version active now decides; the decision records the level and limit it was approved under.
      const active = await activeAuthority(tx, tenant);
      const granted = mayApprove(active.matrix, authorityLevelsFor(command.actor.roles, active.roles), amount, request.riskGrade);
      if (!granted.allowed) {
        const roles = rolesHolding(granted.levelsThatMay, active.roles);
        throw new AppError('FORBIDDEN', `${granted.reason}${roles.length > 0 ? ` (roles holding those levels: ${roles.join(', ')})` : ''}`, {
          field: inputPath('requestId'), reason: 'BEYOND_AUTHORITY', levelsThatMay: granted.levelsThatMay, rolesThatMay: roles,
        });
      }
      authority = { level: granted.level, limit: granted.limit, matrixVersion: active.matrix.version };
    }
    const decisionId = randomUUID();
    const outcome = request.recommendation === 'approve' ? 'APPROVE' : 'DECLINE';
    await tx.applicationDecision.create({
      data: {
        id: decisionId, applicationId: application.id, policyId: policyDecision.policyId, policyVersion: policyDecision.policyVersion, outcome,
        // An approval gives no adverse-action reasons; a decline keeps the policy's, which are why it was referred.
        reasons: outcome === 'APPROVE' ? [] : (policyDecision.reasons as object),
        riskGrade: request.riskGrade, maxAmount: outcome === 'APPROVE' ? amount.toFixed(places) : policyDecision.maxAmount,
        inputSnapshot: policyDecision.inputSnapshot as object, ruleOutcomes: policyDecision.ruleOutcomes as object,
        decidedByKind: 'underwriter', decidedBy: command.actor.subject, override: request.override, overrideReason: request.override ? request.reason : null, decidedAt: command.now,
      },
    });
    await tx.approvalRequest.update({ where: { id: requestId }, data: { status: 'approved', ...decided } });
    const summary = {
      decisionId, outcome, riskGrade: request.riskGrade, override: request.override, requestId, recommendedBy: request.requestedBy, confirmsPolicyDecision: policyDecision.id,
      ...(authority ? { authority } : {}),
    };
    const moved = await transition(tx, application, outcome === 'APPROVE' ? 'approve' : 'decline', inputPath('requestId'), command.actor.subject, command.now, why ?? request.reason, { decision: summary });
    events.push(moved.event);
    audit.push({ ...moved.audit, after: { ...(moved.audit.after as object), decision: summary } });
    audit.push({ entityType: 'ApprovalRequest', entityId: requestId, before, after: { status: 'approved', reason: why } });
    if (outcome === 'APPROVE') {
      const policy = policyDecision.policyId ? await tx.creditPolicy.findUnique({ where: { id: policyDecision.policyId } }) : null;
      const code = (policy?.ruleSet as { policy?: string } | null)?.policy ?? 'none';
      const offered = await offerFor(tx, command, businessDate, application, decisionId, {
        policy: code, version: policyDecision.policyVersion ?? 0, outcome: 'APPROVE', riskGrade: request.riskGrade, maxAmount: amount.toFixed(places),
      }, true);
      events.push(...offered.events);
      audit.push(...offered.audit);
    }
    return { result: { requestId, applicationStatus: moved.to }, audit, events };
  });
}

export interface OverrideReportRow {
  decision: DecisionRow;
  currency: string;
  /** The underwriter who recommended the override (the maker), when the request is found. */
  recommendedBy: string | null;
}


/** Override decisions with their application's currency and the maker who recommended them. */
export async function overrideRowsOf(db: TenantDb, decisions: DecisionRow[]): Promise<OverrideReportRow[]> {
  if (decisions.length === 0) return [];
  const applicationIds = [...new Set(decisions.map((d) => d.applicationId))];
  const [applications, requests] = await Promise.all([
    db.application.findMany({ where: { id: { in: applicationIds } }, select: { id: true, currency: true } }),
    db.approvalRequest.findMany({ where: { applicationId: { in: applicationIds }, status: 'approved', override: true } }),
  ]);
  const currency = new Map(applications.map((a) => [a.id, a.currency]));
  return decisions.map((decision) => {
    const request = requests.find((r) => r.applicationId === decision.applicationId && r.decidedAt?.getTime() === decision.decidedAt.getTime());
    return { decision, currency: currency.get(decision.applicationId) ?? '', recommendedBy: request?.requestedBy ?? null };
  });
}
