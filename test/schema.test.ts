// The committed schema.graphql is the built schema, and nothing in it is reachable without an authorization rule.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphQLObjectType, GraphQLSchema, GraphQLString, isObjectType } from 'graphql';
import { AUTHZ_FILE, printedSchema, SCHEMA_FILE } from '../src/graph/sdl.js';
import { authzMatrix } from '../src/authz/capabilities.js';
import { buildSchema, unauthorizedSurface } from '../src/graph/schema.js';

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
    const { querySize } = await import('../src/graph/limits.js');
    const schema = buildSchema();
    const nodes = (query: string) => querySize(schema, parse(query), {}).nodes;
    expect(nodes('{ parties(first: 100) { edges { node { legalName } } } }')).toBe(201);
    expect(nodes('{ parties { edges { node { legalName } } } }')).toBe(41);
    expect(nodes('{ viewer { subject roles } }')).toBe(1);
  });

  it('counts a list without pagination at its realistic size, and prices fields that compute over many rows', async () => {
    const { parse } = await import('graphql');
    const { querySize, LIST_SIZES, FIELD_COSTS } = await import('../src/graph/limits.js');
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
