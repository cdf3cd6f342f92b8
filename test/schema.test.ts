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

describe('query cost', () => {
  it('counts objects the GitHub way, as the README says', async () => {
    const { parse } = await import('graphql');
    const { queryCost } = await import('../src/graph/limits.js');
    const schema = buildSchema();
    expect(queryCost(schema, parse('{ parties(first: 100) { edges { node { legalName } } } }'), {})).toBe(201);
    expect(queryCost(schema, parse('{ parties { edges { node { legalName } } } }'), {})).toBe(41);
    expect(queryCost(schema, parse('{ viewer { subject roles } }'), {})).toBe(1);
  });
});
