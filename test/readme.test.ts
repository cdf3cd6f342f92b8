// What the README and the docs show must work against the schema as it is: every GraphQL document in them, in a
// ```graphql block or inline in a shell command, parses, validates and fits the default limits on one operation,
// so a reader who sends it as printed is not refused.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  getNullableType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType, parse, typeFromAST, validate,
  type DocumentNode, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/graph/schema.js';
import { enforceLimits, type QueryLimits } from '../src/graph/limits.js';
import { devToken, gql, startTestServer, type TestServer } from './support/harness.js';
import { lenderWithLoan } from './support/lenderWithLoan.js';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const blocksOf = (text: string) => [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));

interface Example { file: string; text: string; variables: Record<string, unknown> | undefined }

/** A file's GraphQL documents, each with the JSON variables printed right after it, if any. */
function examplesOf(file: string): Example[] {
  const blocks = blocksOf(read(file));
  return blocks.flatMap((block, index): Example[] => {
    if (block.lang === 'graphql') {
      const next = blocks[index + 1];
      return [{ file, text: block.text, variables: next?.lang === 'json' ? JSON.parse(next.text) as Record<string, unknown> : undefined }];
    }
    if (block.lang !== 'sh') return [];
    return [...block.text.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ file, text: JSON.parse(`"${m[1]}"`) as string, variables: undefined }));
  });
}

const files = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const examples = files.flatMap(examplesOf);

// The defaults of docs/operations.md.
const DEFAULTS: QueryLimits = { maxDepth: 12, maxNodes: 10_000, maxCost: 20_000, maxAliases: 50, maxDirectives: 50, maxTokens: 5_000 };

/** Some value of the type, for a variable an example leaves to the reader: the size of an answer never depends on it. */
function placeholder(type: GraphQLInputType): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [];
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isInputObjectType(inner)) {
    return Object.fromEntries(Object.values(inner.getFields()).filter((field) => isNonNullType(field.type)).map((field) => [field.name, placeholder(field.type)]));
  }
  if (isScalarType(inner)) {
    for (const candidate of [1, true, '2026-01-01', '1', '1.00 USD', '2026-01-01T00:00:00Z', 'placeholder-0001', {}]) {
      try {
        if (inner.parseValue(candidate) !== undefined) return candidate;
      } catch {
        // Not this scalar's kind of value; try the next.
      }
    }
  }
  throw new Error(`no placeholder for ${String(type)}`);
}

function variablesFor(schema: GraphQLSchema, document: DocumentNode, printed: Record<string, unknown> | undefined): Record<string, unknown> {
  const variables: Record<string, unknown> = { ...printed };
  for (const definition of document.definitions) {
    if (definition.kind !== 'OperationDefinition') continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const name = variable.variable.name.value;
      const type = typeFromAST(schema, variable.type as never) as GraphQLInputType;
      if (!(name in variables) && isNonNullType(type) && !variable.defaultValue) variables[name] = placeholder(type);
    }
  }
  return variables;
}

describe('the README and docs/*.md', () => {
  const schema = buildSchema();

  it('its GraphQL documents validate against the schema, the loan schedule\'s query among them', () => {
    const readme = examples.filter((example) => example.file === 'README.md');
    expect(readme.some((example) => /account\b[\s\S]*instalments/.test(example.text))).toBe(true);
    expect(readme.length).toBeGreaterThanOrEqual(3);
    expect(examples.length).toBeGreaterThanOrEqual(15);
    for (const { file, text } of examples) expect(validate(schema, parse(text)).map((e) => e.message), `${file}: ${text}`).toEqual([]);
  });

  it('each example, with the variables printed beside it, fits the default limits: the README\'s schedule of one loan by its number is sized as one loan', () => {
    for (const { file, text, variables } of examples) {
      const document = parse(text);
      const size = enforceLimits(schema, document, variablesFor(schema, document, variables), null, DEFAULTS, true);
      expect(size, `${file}: ${text}`).toBeDefined();
    }
    const schedule = examples.find((example) => example.file === 'README.md' && /instalments/.test(example.text))!;
    const size = enforceLimits(schema, parse(schedule.text), {}, null, DEFAULTS, true)!;
    // One loan with its account and at most 1,200 instalments, not a page of 20 such loans.
    expect(size.nodes).toBeLessThan(DEFAULTS.maxNodes / 2);
  });
});

describe('the README\'s schedule query, sent as printed', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers the first loan\'s schedule, instalment by instalment', async () => {
    const { lender } = await lenderWithLoan(server, 'readme', {});
    const schedule = examples.find((example) => example.file === 'README.md' && /instalments/.test(example.text))!;
    const answer = await gql(server.gateway, schedule.text, { token: await devToken(server.runtime, 'loan-officer', lender.slug) });
    expect(answer.errors).toBeUndefined();
    const [loan] = answer.data!['loans'].edges.map((edge: { node: unknown }) => edge.node) as { number: string; account: { instalments: { number: number; dueDate: string }[] } }[];
    expect(loan!.number).toBe('L-000001');
    expect(loan!.account.instalments.map((instalment) => instalment.number)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
