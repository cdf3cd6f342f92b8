// The committed schema.graphql is the built schema, and nothing in it is reachable without an authorization rule.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphQLObjectType, GraphQLSchema, GraphQLString, getNamedType, getNullableType, isLeafType, isListType, isObjectType, parse, type GraphQLResolveInfo } from 'graphql';
import { AUTHZ_FILE, printedSchema, SCHEMA_FILE } from '../../src/graph/sdl.js';
import { authzMatrix } from '../../src/authz/capabilities.js';
import { buildSchema, unauthorizedSurface } from '../../src/graph/schema.js';
import { enforceLimits, LIST_SIZES, MAX_NODE_IDS, NARROWED_BY_KEY, querySize, SIZED_BY_ARGUMENT, type QueryLimits } from '../../src/graph/limits.js';

describe('schema', () => {
  it('schema.graphql is up to date (run `npm run schema` after changing the schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });

  it('docs/authz.md is the enforced matrix (run `npm run schema` after changing capabilities)', () => {
    expect(readFileSync(AUTHZ_FILE, 'utf8')).toBe(authzMatrix());
  });

  it('every root field and object type declares an authorization rule', () => {
    expect(unauthorizedSurface(buildSchema())).toEqual([]);
  });

  it('a field without a rule is found, so the server refuses to start with it', () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { leaky: { type: GraphQLString } } }),
    });
    expect(unauthorizedSurface(schema)).toEqual(['Query.leaky']);
  });

  it('a field that takes over from a deprecated one is read by exactly whoever reads that one: on the same type, under the same rule, as a global id', () => {
    const schema = buildSchema();
    const pairs: string[] = [];
    const rule = (extensions: unknown) => (extensions as { pothosOptions?: { authScopes?: unknown } } | undefined)?.pothosOptions?.authScopes;
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const fields = type.getFields();
      for (const field of Object.values(fields)) {
        const named = field.deprecationReason ? /\buse `(\w+)`/.exec(field.deprecationReason)?.[1] : undefined;
        if (!named) continue;
        const successor = fields[named];
        pairs.push(`${type.name}.${field.name} → ${named}`);
        expect(successor, `${type.name}.${named}`).toBeDefined();
        // A leaf, so no other type's rule stands between a reader and it; the same field rule (or none: the type's).
        expect(String(successor!.type), `${type.name}.${named}`).toBe(String(field.type).replace('String', 'ID'));
        expect(rule(successor!.extensions), `${type.name}.${named}`).toEqual(rule(field.extensions));
      }
    }
    expect(pairs).toEqual(expect.arrayContaining([
      'LedgerStatementLine.loanId → loanGlobalId', 'LedgerStatementLine.transactionId → transactionGlobalId',
      'LoanRestructure.transactionId → transactionGlobalId', 'LoanWriteOff.transactionId → transactionGlobalId',
      'LoanStatementLine.transactionId → transactionGlobalId', 'LoanStatementLine.reversedByTransactionId → reversedByTransactionGlobalId',
      'LoanStatementLine.reversesTransactionId → reversesTransactionGlobalId', 'PaymentAllocation.transactionId → transactionGlobalId',
      'StatementFeeOrPenalty.transactionId → transactionGlobalId',
    ]));
  });

  it('every type and field has a description', () => {
    const schema = buildSchema();
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) undocumented.push(type.name);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description) undocumented.push(`${type.name}.${field.name}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it('has the relay Node interface with node/nodes and the string scalars', () => {
    const schema = buildSchema();
    expect(schema.getType('Node')).toBeDefined();
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['node', 'nodes']));
    for (const scalar of ['Decimal', 'Money', 'Date', 'DateTime']) expect(schema.getType(scalar)).toBeDefined();
  });
});

describe('query size and cost', () => {
  it('counts objects the GitHub way, as the README says', async () => {
    const { parse } = await import('graphql');
    const { querySize } = await import('../../src/graph/limits.js');
    const schema = buildSchema();
    const nodes = (query: string) => querySize(schema, parse(query), {}).nodes;
    expect(nodes('{ parties(first: 100) { edges { node { legalName } } } }')).toBe(201);
    expect(nodes('{ parties { edges { node { legalName } } } }')).toBe(41);
    expect(nodes('{ viewer { subject roles } }')).toBe(1);
  });

  it('counts a list narrowed by a unique key given in full as one item, whatever its page; any other filter leaves the page', () => {
    const schema = buildSchema();
    const nodes = (query: string, variables: Record<string, unknown> = {}) => querySize(schema, parse(query), variables).nodes;
    const loan = '{ edges { node { number account { instalments { dueDate } } } } }';
    const one = 1 + 1 * (2 + 1 + LIST_SIZES['LoanAccount.instalments']!);
    expect(nodes(`{ loans(number: "L-000001") ${loan} }`)).toBe(one);
    expect(nodes(`{ loans(number: "L-000001", first: 100) ${loan} }`)).toBe(one);
    expect(nodes(`{ loans(externalReference: "ACME-1") ${loan} }`)).toBe(1 + 20 * (2 + 1 + LIST_SIZES['LoanAccount.instalments']!));
    expect(nodes('{ applications(number: "A-45") { edges { node { id } } } }')).toBe(3);
    expect(nodes('{ applications(status: APPROVED) { edges { node { id } } } }')).toBe(41);
    // A co-lending share is one per loan and partner: the loan alone may have several partners' shares.
    expect(nodes('{ loanParticipations(loanId: "TG9hbjox", partnerCode: "fund") { edges { node { id } } } }')).toBe(3);
    expect(nodes('{ loanParticipations(loanId: "TG9hbjox") { edges { node { id } } } }')).toBe(41);
    // Through variables: given narrows, null or left out does not, and a cached size is never another's.
    const byVariable = 'query($n: String) { loans(number: $n) { edges { node { id } } } }';
    const page = parse(byVariable);
    const DEFAULTS: QueryLimits = { maxDepth: 12, maxNodes: 10_000, maxCost: 20_000, maxAliases: 50, maxDirectives: 50, maxTokens: 5_000 };
    expect(enforceLimits(schema, page, { n: 'L-1' }, null, DEFAULTS, true)!.nodes).toBe(3);
    expect(enforceLimits(schema, page, { n: null }, null, DEFAULTS, true)!.nodes).toBe(41);
    expect(enforceLimits(schema, page, {}, null, DEFAULTS, true)!.nodes).toBe(41);
    expect(enforceLimits(schema, page, { n: 'L-2' }, null, DEFAULTS, true, true)!.nodes).toBe(3);
    const withDefault = parse('query($n: String = "L-1") { loans(number: $n) { edges { node { id } } } }');
    expect(enforceLimits(schema, withDefault, {}, null, DEFAULTS, true)!.nodes).toBe(3);
    expect(enforceLimits(schema, withDefault, { n: null }, null, DEFAULTS, true, true)!.nodes).toBe(41);
  });

  it('names as keys exactly the list filters that are unique keys of what the list holds', () => {
    const schema = buildSchema();
    const keyLike = /^(number|code|slug|email|id)$|Id$|Code$/;
    const keyArguments: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const isList = isListType(getNullableType(field.type)) || field.args.some((arg) => arg.name === 'first');
        if (isList) for (const arg of field.args) if (keyLike.test(arg.name)) keyArguments.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    // Each of these filters leaves many items: a borrower's loans, a person's applications, an endpoint's deliveries,
    // a partner's arrangements, settlements and shares, a collector's cases, a record's audit trail.
    const notUnique = [
      'Query.loans(borrowerId)', 'Query.applications(applicantId)', 'Query.webhookDeliveries(endpointId)', 'Query.coLendingArrangements(partnerCode)',
      'Query.coLendingSettlements(partnerCode)', 'Query.creditPolicies(productCode)', 'Query.auditRecords(entityId)',
    ];
    const named = Object.entries(NARROWED_BY_KEY).flatMap(([key, keys]) => keys.flat().map((arg) => `${key}(${arg})`));
    expect([...keyArguments].sort()).toEqual([...new Set([...notUnique, ...named])].sort());
  });

  it('counts a list without pagination at its realistic size, and prices fields that compute over many rows', async () => {
    const { parse } = await import('graphql');
    const { querySize, LIST_SIZES, FIELD_COSTS } = await import('../../src/graph/limits.js');
    const schema = buildSchema();
    const size = (query: string, variables: Record<string, unknown> = {}) => querySize(schema, parse(query), variables);
    // 100 loans each with their transactions: not 301 objects but 100 × the transactions a long loan holds.
    const transactions = LIST_SIZES['Loan.transactions']!;
    expect(size('{ loans(first: 100) { edges { node { id transactions { id } } } } }').nodes).toBe(1 + 100 * (2 + transactions));
    expect(size('{ nodes(ids: ["a", "b", "c"]) { id } }').nodes).toBe(3);
    // Verifying the audit chain returns one object but recomputes the whole chain: aliases multiply its price.
    const audit = FIELD_COSTS['Query.auditChainVerification'] as number;
    expect(size('{ auditChainVerification { intact } }').cost).toBe(1 + audit);
    expect(size('{ a: auditChainVerification { intact } b: auditChainVerification { intact } }').cost).toBe(2 * (1 + audit));
    expect(size('{ trialBalance(asOf: "2026-01-31") { asOf } }').cost).toBeGreaterThan(1000);
    // Variables that do not fit their types are bad input, not a crash of the cost check.
    expect(() => size('query($n: Int) { parties(first: $n) { edges { node { id } } } }', { n: 'many' })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});

describe('every list has a bound', () => {
  const schema = buildSchema();
  // The defaults of docs/operations.md.
  const DEFAULTS: QueryLimits = { maxDepth: 12, maxNodes: 10_000, maxCost: 20_000, maxAliases: 50, maxDirectives: 50, maxTokens: 5_000 };

  it('every list of objects without pagination is sized by LIST_SIZES or by its arguments, and every size names a real list', () => {
    const unbounded: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      // A connection's edges are its page, counted by `first`/`last` on the field that returns the connection.
      if (!isObjectType(type) || type.name.startsWith('__') || type.name.endsWith('Connection')) continue;
      for (const field of Object.values(type.getFields())) {
        const key = `${type.name}.${field.name}`;
        const isConnection = field.args.some((arg) => arg.name === 'first');
        // A list of scalars is a value of its parent, not objects read one by one: it counts no nodes.
        if (!isListType(getNullableType(field.type)) || isLeafType(getNamedType(field.type))) continue;
        if (LIST_SIZES[key] === undefined && SIZED_BY_ARGUMENT[key] === undefined && !isConnection) unbounded.push(key);
      }
    }
    expect(unbounded).toEqual([]);
    for (const key of Object.keys(LIST_SIZES)) {
      const [typeName, fieldName] = key.split('.') as [string, string];
      const type = schema.getType(typeName);
      expect(type && isObjectType(type) && isListType(getNullableType(type.getFields()[fieldName]!.type)), key).toBe(true);
    }
  });

  it('cuts a list at its bound when it resolves, and says so in the field\'s description', async () => {
    const lines = schema.getType('TrialBalance') as GraphQLObjectType;
    const field = lines.getFields()['lines']!;
    const source = { asOf: '2026-01-31', lines: Array.from({ length: 300 }, (_, k) => ({ account: `A${k}` })) };
    // A finance user's context: the field's authorization rule runs before the list is resolved and cut.
    const context = { principal: { roles: ['finance'], partner: null }, tenant: {} };
    const resolved = (await field.resolve!(source, {}, context, {} as GraphQLResolveInfo)) as { account: string }[];
    expect(resolved).toHaveLength(LIST_SIZES['TrialBalance.lines']!);
    expect(resolved[0]).toEqual({ account: 'A0' });
    expect(field.description).toMatch(/At most 200\./);
    const short = { asOf: '2026-01-31', lines: [{ account: 'A' }] };
    expect(await field.resolve!(short, {}, context, {} as GraphQLResolveInfo)).toEqual(short.lines);
  });

  it('nested lists multiply: a page of 100 loans with their transactions counts 100 × the transactions bound and is refused before it runs', () => {
    const query = parse('{ loans(first: 100) { edges { node { transactions { id } } } } }');
    const size = querySize(schema, query, {});
    expect(LIST_SIZES['Loan.transactions']).toBe(1_000);
    expect(size.nodes).toBeGreaterThanOrEqual(100 * LIST_SIZES['Loan.transactions']!);
    expect(() => enforceLimits(schema, query, {}, null, DEFAULTS, true)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', details: expect.objectContaining({ reason: 'QUERY_TOO_LARGE', nodes: size.nodes, cost: size.cost, limit: DEFAULTS.maxNodes }) }),
    );
    // A page small enough for the bound passes, and the check returns the size the response reports.
    const small = parse('{ loans(first: 5) { edges { node { transactions { id } } } } }');
    expect(enforceLimits(schema, small, {}, null, DEFAULTS, true)).toEqual(querySize(schema, small, {}));
  });

  it('sizes a document once per value of what an estimate reads (Int, Boolean, lists), the same for any input object, ID or text', () => {
    // Each document, variables changed one at a time: the cached answer must be what sizing afresh says.
    const page = parse('query Page($n: Int, $deep: Boolean!, $id: ID!) { loans(first: $n) { edges { node { id transactions @include(if: $deep) { id } } } } node(id: $id) { id } }');
    for (const variables of [
      { n: 5, deep: false, id: 'a' }, { n: 5, deep: false, id: 'b' }, { n: 9, deep: false, id: 'a' }, { n: 5, deep: true, id: 'a' }, { n: 9, deep: true, id: 'c' },
    ]) {
      expect(enforceLimits(schema, page, variables, 'Page', DEFAULTS, true)).toEqual(querySize(schema, page, variables, 'Page'));
    }
    const many = parse('query Many($ids: [ID!]!) { nodes(ids: $ids) { id } }');
    for (const ids of [['a'], ['a', 'b', 'c'], ['x', 'y']]) {
      expect(enforceLimits(schema, many, { ids }, 'Many', DEFAULTS, true)).toEqual(querySize(schema, many, { ids }, 'Many'));
    }
    const posting = parse('mutation Repay($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } userErrors { field message } } }');
    for (const amount of ['1.00', '2.50']) {
      const variables = { input: { idempotencyKey: `posting-key-${amount}`, loanId: 'TG9hbjox', amount, valueDate: '2026-12-01', channel: 'bank' } };
      expect(enforceLimits(schema, posting, variables, 'Repay', DEFAULTS, true)).toEqual(querySize(schema, posting, variables, 'Repay'));
    }
  });

  it(`refuses nodes(ids:) with more than ${MAX_NODE_IDS} ids, naming ids, before it runs and in its resolver`, async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, k) => `id${k}`);
    const query = parse('query($ids: [ID!]!) { nodes(ids: $ids) { id } }');
    expect(querySize(schema, query, { ids: ids(MAX_NODE_IDS) }).nodes).toBe(MAX_NODE_IDS);
    expect(() => enforceLimits(schema, query, { ids: ids(MAX_NODE_IDS + 1) }, null, DEFAULTS, true)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'ids' } }),
    );
    const nodes = schema.getQueryType()!.getFields()['nodes']!;
    // The resolver refuses before it reads: its context has no database to read from.
    expect(() => nodes.resolve!({}, { ids: ids(MAX_NODE_IDS + 1) }, {}, {} as GraphQLResolveInfo)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'ids' } }));
  });
});
