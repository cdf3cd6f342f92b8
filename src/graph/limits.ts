// What one operation may ask for, the same for HTTP and WebSocket, all checked before anything runs:
// - tokens: the parser stops after MAX_QUERY_TOKENS (graphql's own `maxTokens`), so a 100,000-alias document
//   costs a few milliseconds to refuse, never a validation pass over every field;
// - depth, aliases and directives: graphql-armor's validation rules;
// - nodes (MAX_QUERY_NODES): how many objects the answer may hold, GitHub's way — a connection returns as many
//   items as `first`/`last` asks (or the default page size; one when a unique key narrows it, NARROWED_BY_KEY),
//   `nodes(ids:)` as many as its ids (at most MAX_NODE_IDS), a list without pagination as many as its bound
//   (LIST_SIZES, kept by `boundLists`), multiplying everything selected beneath it;
// - cost (MAX_QUERY_COST): the nodes plus the work of fields that compute over many rows (FIELD_COSTS), such as
//   recomputing the audit chain or a trial balance.
// The estimate is reported with every answer (`queryCost`, in `extensions.cost`). Should a list ever outgrow its
// bound, the node ceiling is also counted while the answer is built (src/graph/answerCeiling.ts).
import { GraphQLError, Kind, defaultFieldResolver, getNamedType, isObjectType, getOperationAST, getVariableValues, isLeafType, isListType, getNullableType, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type TypeNode } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { AppError, badInput, type ErrorReason } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from './pagination.js';
import { MAX_STATEMENT_LINES } from '../services/servicing/ledger.js';
import { MAX_PRICED_GRADES } from '../domain/origination/pricing.js';
import { MAX_REPAYMENTS } from '../domain/servicing/product.js';
import type { CostBudget } from '../rateLimits.js';
import { MAX_TRANCHES } from '../domain/servicing/tranches.js';
import { MAX_AUTHORITY_GRADES, MAX_AUTHORITY_LEVELS } from '../domain/origination/approvalAuthority.js';
import { STAFF_ROLES } from '../authz/roles.js';
import { MAX_CHECKLIST_ITEMS } from '../services/origination/documentChecklists.js';

export interface QueryLimits {
  maxDepth: number;
  maxNodes: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
}

/**
 * Lists without pagination, by the most items each may hold. The count is a ceiling, not a guess: `boundLists`
 * cuts every one of these lists at its size when it resolves (and reads from the database ask for no more), so an
 * estimate made from this table is never exceeded. Where a domain rule bounds a list, the size is that rule: a
 * loan has at most MAX_REPAYMENTS (1,200) instalments. Elsewhere the size is a large real case (an application's
 * handful of parties and checks, a 30-year loan's dues and payments on a statement), and a list that could hold
 * more is cut there and says so in its description. test/graph/schema.test.ts fails for a list of objects not named here.
 */
export const LIST_SIZES: Record<string, number> = {
  // The resolver reads at most 1,000 rows.
  'Loan.transactions': 1_000,
  // A plan has at most MAX_TRANCHES tranches, and no more are paid out.
  'Loan.tranches': MAX_TRANCHES,
  'LoanAccount.instalments': MAX_REPAYMENTS,
  // A product's own dated fees (annual maintenance …): as many as a loan's instalments is far beyond any product.
  'LoanTerms.feesOnDates': MAX_REPAYMENTS,
  'LoanAccount.allocations': 500,
  'LoanStatement.lines': 800,
  'LoanStatementLine.allocation': 10,
  // A fee or penalty is charged and then paid or waived: two items for each of a statement's lines.
  'LoanStatement.feesAndPenalties': 1_600,
  'PaymentAllocation.lines': 10,
  // A loan is written off in full once, in part a few times: as many as its allocations is far beyond any loan.
  'LoanAccount.writeOffs': 500,
  'LoanAccount.restructures': 500,
  // Each instalment's four components at most.
  'LoanWriteOff.lines': MAX_REPAYMENTS * 4,
  // The service reads at most MAX_STATEMENT_LINES and marks the statement `truncated`.
  'LedgerAccountStatement.lines': MAX_STATEMENT_LINES,
  'TrialBalance.lines': 200,
  'Query.ledgerAccounts': 200,
  // A lender's currencies are a handful; ISO 4217 has fewer than 200 in use.
  'Query.currencies': 200,
  // A refused mutation carries one user error (refusalsAsUserErrors).
  'SetCurrencyCashRoundingPayload.userErrors': 10,
  'Query.pendingCreditPolicyActivations': 50,
  'Query.creditPolicies': 50,
  'Query.approvalAuthorityMatrixVersions': 50,
  'Query.checkProviderSettingsVersions': 50,
  'Query.pendingApprovalAuthorityMatrixActivations': 50,
  // Bounded by the matrix's own validation (domain/origination/approvalAuthority.ts); roles are the staff roles.
  'ApprovalAuthorityMatrix.levels': MAX_AUTHORITY_LEVELS,
  'ApprovalAuthorityLevel.limits': MAX_AUTHORITY_GRADES,
  'ApprovalAuthorityMatrix.roles': STAFF_ROLES.length,
  'ProductDocumentChecklist.items': MAX_CHECKLIST_ITEMS,
  // One entry per kind (kyc, bureau, income, esign).
  'CheckProviderSettings.providers': 4,
  'LoanProduct.creditPolicies': 50,
  'LoanProduct.pricingVersions': 50,
  // A pricing prices at most this many grades (refused when drafted).
  'ProductPricing.rates': MAX_PRICED_GRADES,
  // An upload carries at most 1,000 applications.
  'ImportApplicationsPayload.rows': 1_000,
  'ExpireStaleApplicationsPayload.expired': 200,
  'CreditPolicySimulation.changes': 500,
  'CreditPolicySimulation.skipped': 500,
  'CreditPolicySimulation.byChange': 20,
  'CreditPolicySimulatedChange.reasons': 5,
  'SchedulePreview.instalments': MAX_REPAYMENTS,
  // createApplication refuses more than 10 parties.
  'Application.parties': 10,
  'Application.checks': 20,
  'Application.decisions': 20,
  'Application.documentChecklist': 30,
  'Application.documents': 50,
  'Application.history': 20,
  'DocumentChecklistItem.documents': 10,
  'ApplicationDecision.reasons': 20,
  'ApplicationDecision.rules': 50,
  'Party.identifiers': 5,
  'Party.unmaskedIdentifiers': 5,
  'Party.matches': 20,
  'Party.matchReviews': 20,
  // The portfolio report (src/graph/portfolioReport.ts): a lender's book in a handful of currencies and products;
  // four PAR measures; buckets and classes as the delinquency policy names them (a few each). A fully selected
  // report stays under the node ceiling with these sizes.
  'PortfolioReport.currencies': 20,
  'PortfolioCurrency.portfolioAtRisk': 4,
  'PortfolioCurrency.aging': 20,
  'PortfolioCurrency.classification': 20,
  'PortfolioCurrency.products': 50,
  'PortfolioProductLine.portfolioAtRisk': 4,
  // WEBHOOK_MAX_ATTEMPTS is at most 30.
  'WebhookDelivery.attemptLog': 30,
};
export const DEFAULT_LIST_SIZE = 50;
/** The most ids one `nodes(ids:)` may ask for: more is refused before anything is read. */
export const MAX_NODE_IDS = 100;
/** Lists whose length an argument states: `nodes(ids:)`. */
export const SIZED_BY_ARGUMENT: Record<string, (args: Record<string, unknown>) => number> = {
  'Query.nodes': (args) => (Array.isArray(args['ids']) ? args['ids'].length : DEFAULT_LIST_SIZE),
};

/**
 * Connections a filter narrows to one item: for each, the arguments that together are a unique key of what it
 * lists (a loan's number, an application's number, a co-lending partner's share of one loan). When every argument
 * of a key is given, the list holds at most one item (an argument holding a list of values, one per value),
 * whatever `first` or the default page asks, and the estimate counts that, so `loans(number: "L-000001")` with its
 * schedule is the size of one loan. A filter that is no unique key (a borrower, an external reference, a status)
 * leaves the page as it is.
 */
export const NARROWED_BY_KEY: Record<string, readonly (readonly string[])[]> = {
  'Query.loans': [['number']],
  'Query.applications': [['number']],
  'Query.loanParticipations': [['loanId', 'partnerCode']],
};

/** The most items a list narrowed by a key given in full may hold (NARROWED_BY_KEY), else undefined. */
export function itemsNamedByKey(key: string, args: Record<string, unknown>): number | undefined {
  for (const names of NARROWED_BY_KEY[key] ?? []) {
    const values = names.map((name) => args[name]);
    // An empty text filters nothing (the resolvers drop it), so it narrows nothing either.
    if (values.some((value) => value == null || value === '')) continue;
    return values.reduce<number>((items, value) => items * (Array.isArray(value) ? value.length : 1), 1);
  }
  return undefined;
}

/** The bound of a list in LIST_SIZES, for resolvers that read it from the database (`take`). */
export function listSize(key: keyof typeof LIST_SIZES & string): number {
  const size = LIST_SIZES[key];
  if (size === undefined) throw new Error(`no list size for ${key}`);
  return size;
}

/** Refuses `nodes(ids:)` with more than MAX_NODE_IDS ids, naming the argument. */
export function checkNodeIds(ids: unknown): void {
  if (Array.isArray(ids) && ids.length > MAX_NODE_IDS) {
    throw badInput('ids', `ids may name at most ${MAX_NODE_IDS} objects; it names ${ids.length}: ask in several requests`);
  }
}

const bounded = new WeakSet<object>();

/**
 * Makes every size in LIST_SIZES a ceiling the answer keeps: a list longer than its size is cut there, the first
 * items kept in the list's own order, and the field's description says so. The estimate then never undercounts a
 * list, whichever resolver (or later change to it) produces it.
 */
export function boundLists(schema: GraphQLSchema): GraphQLSchema {
  for (const [key, size] of Object.entries(LIST_SIZES)) {
    const [typeName, fieldName] = key.split('.') as [string, string];
    const type = schema.getType(typeName);
    const field = type && isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!field) throw new Error(`LIST_SIZES names ${key}, which the schema does not have`);
    if (bounded.has(field)) continue;
    bounded.add(field);
    const inner = field.resolve ?? defaultFieldResolver;
    const cut = (result: unknown) => (Array.isArray(result) && result.length > size ? result.slice(0, size) : result);
    field.resolve = (source, args, context, info) => {
      const result = inner(source, args, context, info);
      return result instanceof Promise ? result.then(cut) : cut(result);
    };
    if (!/at most/i.test(field.description ?? '')) field.description = `${field.description ?? ''} At most ${size.toLocaleString('en')}.`.trim();
  }
  // The gateway refuses too many ids before anything runs; this keeps the rule for any other caller of the schema.
  const nodes = schema.getQueryType()?.getFields()['nodes'];
  if (nodes && !bounded.has(nodes)) {
    bounded.add(nodes);
    const inner = nodes.resolve ?? defaultFieldResolver;
    nodes.resolve = (source, args, context, info) => {
      checkNodeIds(args['ids']);
      return inner(source, args, context, info);
    };
    nodes.description = `${nodes.description ?? ''} At most ${MAX_NODE_IDS} ids.`.trim();
  }
  return schema;
}

/**
 * Work beyond the objects returned, in points (one point is about one row read): fields that recompute over a
 * tenant's whole history or replay a loan. With the default MAX_QUERY_COST (20,000) one request may verify the
 * audit chain or check the books at most twice.
 */
export const FIELD_COSTS: Record<string, number | ((args: Record<string, unknown>) => number)> = {
  'Query.auditChainVerification': 8_000,
  'Query.ledgerInvariants': 8_000,
  'Query.trialBalance': 2_000,
  // Sums every loan's position (or a day's summary) and the month's income journal lines.
  'Query.portfolioReport': 2_000,
  'PortfolioReport.trialBalance': 2_000,
  'Query.ledgerAccountStatement': 1_000,
  'Loan.statement': 500,
  'Loan.account': 200,
  'Loan.payoffQuote': 200,
  'LoanProduct.schedulePreview': 50,
  // A simulation re-decides `limit` past decisions (default 1,000) from stored inputs, in memory.
  'CreditPolicy.simulation': (args) => Math.ceil((typeof args['limit'] === 'number' ? args['limit'] : 1_000) / 5),
};

function estimator(withWork: boolean): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const key = `${type.name}.${field.name}`;
    const price = FIELD_COSTS[key];
    const work = !withWork || price === undefined ? 0 : typeof price === 'number' ? price : price(args);
    if (isLeafType(getNamedType(field.type))) return work;
    if (key === 'Query.nodes') checkNodeIds(args['ids']);
    const sized = SIZED_BY_ARGUMENT[key];
    // A connection is one object holding `first` items; its `edges` are those items, counted once each.
    if (!sized && field.args.some((arg) => arg.name === 'first')) {
      const page = typeof args['first'] === 'number' ? args['first'] : typeof args['last'] === 'number' ? args['last'] : DEFAULT_PAGE_SIZE;
      const requested = Math.min(page, itemsNamedByKey(key, args) ?? page);
      return work + 1 + requested * childComplexity;
    }
    if (!isListType(getNullableType(field.type)) || type.name.endsWith('Connection')) return work + 1 + childComplexity;
    const items = sized?.(args) ?? LIST_SIZES[key] ?? DEFAULT_LIST_SIZE;
    return work + items * (1 + childComplexity);
  };
}

/** Reports (never throws) a validation error, so HTTP and WebSocket both answer BAD_USER_INPUT with a reason. */
function reporting(reason: ErrorReason, limit: number) {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: { reportError(error: GraphQLError): void } | null, error: GraphQLError) => {
        if (!context) return;
        context.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { reason, limit } }));
      },
    ],
  };
}

export function depthRule(limits: QueryLimits) {
  return maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, ...reporting('QUERY_TOO_DEEP', limits.maxDepth) });
}

/** The validation rules every operation passes besides graphql's own: depth, aliases (`__typename` too), directives. */
export function limitRules(limits: QueryLimits) {
  return [
    depthRule(limits),
    maxAliasesRule({ n: limits.maxAliases, allowList: [], ...reporting('QUERY_TOO_MANY_ALIASES', limits.maxAliases) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reporting('QUERY_TOO_MANY_DIRECTIVES', limits.maxDirectives) }),
  ];
}

/** graphql's parser refuses past this many tokens; the message is turned into a reason by `parseLimitReason`. */
export function parseOptions(limits: QueryLimits) {
  return { maxTokens: limits.maxTokens };
}

/** The reason and limit for a parse error that is the token limit, else undefined. */
export function tokenLimitOf(message: string): { reason: 'QUERY_TOO_MANY_TOKENS'; limit: number } | undefined {
  const match = /Document contains more tha[nt] (\d+) tokens/.exec(message);
  return match ? { reason: 'QUERY_TOO_MANY_TOKENS' satisfies ErrorReason, limit: Number(match[1]) } : undefined;
}

export interface QuerySize {
  nodes: number;
  cost: number;
}

export function querySize(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string | null): QuerySize {
  const measure = (withWork: boolean) =>
    getComplexity({ schema, query: document, variables, ...(operationName ? { operationName } : {}), estimators: [estimator(withWork)] });
  try {
    return { nodes: measure(false), cost: measure(true) };
  } catch (error) {
    // Variables that do not fit their types: graphql-js's own complaint (naming the input path, and keeping a
    // scalar's AppError for formatError to name the field), as bad input rather than a crash of this check.
    if (error instanceof GraphQLError) {
      throw new GraphQLError(error.message, {
        ...(error.originalError ? { originalError: error.originalError } : {}),
        extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_VARIABLES' satisfies ErrorReason, http: { status: 400 } },
      });
    }
    throw error;
  }
}

/** A variable whose value an estimate can read (see `sizeKey`): an Int, a Boolean, or a list. */
function readByEstimate(type: TypeNode): boolean {
  const inner = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  return inner.kind === Kind.LIST_TYPE || (inner.kind === Kind.NAMED_TYPE && (inner.name.value === 'Int' || inner.name.value === 'Boolean'));
}

/**
 * What an operation's size can depend on: its name and the variables an estimate reads. The estimate reads the
 * values of `first`, `last` and `limit` (Int), the length of `ids` (a list) and the `if` of `@skip`/`@include`
 * (Boolean) — never an ID, a text, an amount or a mutation's input object, of which it reads only whether one is
 * given (a key filter given narrows a list to one item: NARROWED_BY_KEY) — so `node(id: $id)` is the same size
 * for every id, and a posting the same size for every payment.
 */
function sizeKey(operation: OperationDefinitionNode, variables: Record<string, unknown>, operationName: string | null | undefined): string {
  const relevant: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const value = variables[name];
    // Left out, a variable's default applies: not the same as one given empty or null.
    relevant[name] = readByEstimate(definition.type) ? value : value === undefined ? undefined : value !== null && value !== '';
  }
  return `${operationName ?? ''}\u0000${JSON.stringify(relevant)}`;
}

/** Sizes per schema and parsed document (Apollo's document store hands the same object to every request with the same text). */
const sizes = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, QuerySize>>>();
/** Variants kept per document: a client paging with ever new `first` values cannot grow this without bound. */
const SIZES_PER_DOCUMENT = 64;

/** The sizes kept for a document (made empty when first asked). */
function sizesOf(schema: GraphQLSchema, document: DocumentNode): Map<string, QuerySize> {
  let bySchema = sizes.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    sizes.set(schema, bySchema);
  }
  let known = bySchema.get(document);
  if (!known) {
    known = new Map();
    bySchema.set(document, known);
  }
  return known;
}

/** `querySize`, computed once per document and the variables it depends on: the same question is not sized twice. */
function sizeOnce(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, operationName: string | null | undefined): QuerySize {
  const known = sizesOf(schema, document);
  const key = sizeKey(operation, variables, operationName);
  const cached = known.get(key);
  if (cached) return cached;
  const size = querySize(schema, document, variables, operationName);
  if (known.size >= SIZES_PER_DOCUMENT) known.delete(known.keys().next().value!);
  known.set(key, size);
  return size;
}

export function tooLarge(size: QuerySize | undefined, limit: number): AppError {
  const what = size === undefined ? `the answer passed ${limit} objects` : `the answer may hold ${size.nodes} objects`;
  return new AppError('BAD_USER_INPUT', `${what}; the limit is ${limit} (MAX_QUERY_NODES): ask for smaller pages`, {
    reason: 'QUERY_TOO_LARGE',
    limit,
    ...(size === undefined ? {} : { nodes: size.nodes, cost: size.cost }),
  });
}

/**
 * What an operation costs, as every response reports it in `extensions.cost` (Shopify's name; GitHub's
 * `rateLimit { cost nodeCount }` says the same): the estimate made before it ran and the limits it was held to.
 */
export interface QueryCost {
  /** Points: the objects the answer may hold plus the work of expensive fields (FIELD_COSTS). */
  requestedQueryCost: number;
  /** MAX_QUERY_COST. */
  maxQueryCost: number;
  /** Objects the answer may hold, each list at its page size or LIST_SIZES bound. */
  requestedNodes: number;
  /** MAX_QUERY_NODES. */
  maxNodes: number;
  /** What is left of the caller's query-cost budget this minute (QUERY_COST_PER_MINUTE), when one applies. */
  budget?: CostBudget;
}

export function queryCost(size: QuerySize, limits: Pick<QueryLimits, 'maxCost' | 'maxNodes'>): QueryCost {
  return { requestedQueryCost: size.cost, maxQueryCost: limits.maxCost, requestedNodes: size.nodes, maxNodes: limits.maxNodes };
}

/**
 * What a refusal of size answers in `extensions.cost`, over HTTP and WebSocket alike: what the operation would
 * have cost, from the estimate the refusal carries. Undefined for any other refusal.
 */
export function refusalCost(error: unknown, limits: Pick<QueryLimits, 'maxCost' | 'maxNodes'>): QueryCost | undefined {
  if (!(error instanceof AppError)) return undefined;
  const { nodes, cost } = error.details;
  return typeof nodes === 'number' && typeof cost === 'number' ? queryCost({ nodes, cost }, limits) : undefined;
}

/** Whether execution will refuse `operation`'s variables (one does not fit its type): it then runs nothing. */
export function variablesRefused(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>): boolean {
  return getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors !== undefined;
}

/**
 * Throws BAD_USER_INPUT when an operation is deeper, larger or costlier than allowed; else returns its size
 * (undefined when its variables do not fit their types, which execution then refuses).
 *
 * With `reuseKnownSize`, an operation whose size is already known within the limits (the same document, the same
 * values of the variables an estimate reads: `sizeKey`) has that size returned without its other variables being
 * coerced: execution coerces them a moment later, and a payment file's 100,000 lines took graphql-js about 270 ms
 * each time (docs/performance.md). Its variables may then turn out not to fit, so the caller must give back any
 * budget it took for such an operation (src/gateway.ts does, over HTTP).
 */
export function enforceLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName: string | null | undefined,
  limits: QueryLimits,
  checkRules: boolean,
  reuseKnownSize = false,
): QuerySize | undefined {
  if (checkRules) {
    const [ruleError] = validate(schema, document, limitRules(limits));
    if (ruleError) throw new AppError('BAD_USER_INPUT', ruleError.message, { ...ruleError.extensions });
  }
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return undefined;
  if (reuseKnownSize) {
    const known = sizesOf(schema, document).get(sizeKey(operation, variables, operationName));
    if (known && known.nodes <= limits.maxNodes && known.cost <= limits.maxCost) return known;
  }
  // Variables that do not coerce (a Date that is no date, a Decimal that is no number) run nothing: execution
  // refuses them with HTTP 400 and BAD_USER_INPUT naming the field. Sizing them here would throw graphql-js's
  // coercion error out of a request hook, which Apollo answers with HTTP 500.
  if (variablesRefused(schema, operation, variables)) return undefined;
  const size = sizeOnce(schema, document, operation, variables, operationName);
  if (size.nodes > limits.maxNodes) throw tooLarge(size, limits.maxNodes);
  if (size.cost > limits.maxCost) {
    throw new AppError('BAD_USER_INPUT', `query costs ${size.cost} points; the limit is ${limits.maxCost} (MAX_QUERY_COST)`, {
      reason: 'QUERY_TOO_COSTLY',
      cost: size.cost,
      nodes: size.nodes,
      limit: limits.maxCost,
    });
  }
  return size;
}

