// What executing a GraphQL document costs by itself, with resolvers that do nothing: the floor under every read the
// gateway answers. The document is the reads bench's page of 20 loans with their balances and products (about 460
// fields), over a schema of the same shape whose resolvers hand back values already made; graphql-js (what the
// gateway runs) beside graphql-jit (the same document compiled to JavaScript once). CPU time of this process per
// execution, serialization of the answer included; `{ __typename }` for reference.
//
// Options: --iterations N (20,000) per round; --rounds N (5); --no-record.
import { parseArgs } from 'node:util';
import { buildSchema, execute, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { commitOf, machine, publishSection } from './record.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    'no-record': { type: 'boolean', default: false },
  },
});
const ITERATIONS = Number(values.iterations);
const ROUNDS = Number(values.rounds);

const schema = buildSchema(`
  type Amounts { principal: String! interest: String! fee: String! penalty: String! }
  type Product { id: ID! code: String! name: String! currency: String! }
  type Loan {
    id: ID! number: String! status: String! currency: String! principal: String! approvedPrincipal: String!
    disbursementDate: String! firstRepaymentDate: String nextDueDate: String daysPastDue: Int! delinquencyBucket: String
    balancesAsOf: String! held: String! receivable: Amounts! product: Product
  }
  type Edge { node: Loan! }
  type Connection { edges: [Edge!]! }
  type Query { loans(first: Int): Connection! }
`);
const amounts = { principal: '10000.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' };
const product = { id: 'TG9hblByb2R1Y3Q6MQ', code: 'PERSONAL', name: 'Personal loan', currency: 'USD' };
const loanNumber = (i: number) => `L-${String(i).padStart(6, '0')}`;
const loan = (i: number) => ({
  id: `TG9hbjo${i}`, number: loanNumber(i), status: 'ACTIVE', currency: 'USD', principal: '10000.00 USD', approvedPrincipal: '10000.00 USD',
  disbursementDate: '2026-01-01', firstRepaymentDate: '2026-01-31', nextDueDate: '2026-01-31', daysPastDue: 0, delinquencyBucket: null,
  balancesAsOf: '2026-01-01', held: '0.00 USD', receivable: amounts, product,
});
// The answer's values made once: what is measured is the walk over them (graphql-jit's default resolver reads a
// property and does not call it, so no resolver is a function here).
const rootValue = { loans: { edges: Array.from({ length: 20 }, (_, i) => ({ node: loan(i) })) } };

const LOAN_FIELDS = 'id number status currency principal approvedPrincipal disbursementDate firstRepaymentDate nextDueDate daysPastDue delinquencyBucket balancesAsOf held receivable { principal interest fee penalty }';
const DOCUMENTS: Record<string, DocumentNode> = {
  '`{ __typename }`': parse('{ __typename }'),
  'a page of 20 loans with their products': parse(`query Page { loans(first: 20) { edges { node { ${LOAN_FIELDS} product { id code name currency } } } } }`),
};

/** Microseconds of this process's CPU per call of `run`, the median of the rounds. */
function cpuPerCall(run: () => unknown): number {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const before = process.cpuUsage();
    for (let i = 0; i < ITERATIONS; i += 1) run();
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / ITERATIONS);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
}

const rows: string[] = [];
for (const [label, document] of Object.entries(DOCUMENTS)) {
  const invalid = validate(schema, document);
  if (invalid.length > 0) throw new Error(`${label}: ${invalid[0]!.message}`);
  const compiled = compileQuery(schema, document);
  if (!isCompiledQuery(compiled)) throw new Error(`${label}: graphql-jit could not compile it`);
  const interpreted = execute({ schema, document, rootValue }) as ExecutionResult;
  const jitted = compiled.query(rootValue, {}, {}) as ExecutionResult;
  // The same answer both ways, or the comparison means nothing.
  if (JSON.stringify(interpreted) !== JSON.stringify(jitted)) throw new Error(`${label}: graphql-js and graphql-jit answered differently`);
  const fields = JSON.stringify(interpreted.data).match(/":/g)?.length ?? 0;
  const js = cpuPerCall(() => JSON.stringify(execute({ schema, document, rootValue })));
  const jit = cpuPerCall(() => JSON.stringify(compiled.query(rootValue, {}, {})));
  rows.push(`| ${label} | ${fields} | ${js.toFixed(1)} µs | ${jit.toFixed(1)} µs | ${(js / jit).toFixed(0)} × |`);
  process.stdout.write(`${label}: ${fields} fields; graphql-js ${js.toFixed(1)} µs, graphql-jit ${jit.toFixed(1)} µs\n`);
}

const body = [
  '## Execution by itself (`npm run bench:execution`)',
  '',
  `Machine: ${machine()}. Commit ${commitOf()}, ${new Date().toISOString()}.`,
  `CPU of one process per execution and serialization of the answer, resolvers handing back values already made; the median of ${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en')}.`,
  '',
  '| document | fields answered | graphql-js (what the gateway runs) | graphql-jit (compiled once) | ratio |',
  '|---|---:|---:|---:|---:|',
  ...rows,
].join('\n');
publishSection('execution', body, !values['no-record']);
