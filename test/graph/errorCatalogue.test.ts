// docs/errors.md is the catalogue a partner codes against: every `extensions.code` and every `reason` the API can
// give is listed there, with what to do, and nothing is listed that the API never gives. The reasons live in one
// table (ERROR_REASONS); AppError's type admits no other, and this scan of the source catches a reason set where
// the type cannot see it (a GraphQLError's extensions, a helper taking a reason).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_REASONS } from '../../src/errors.js';
import { PERSISTED_QUERY_CODES, REQUEST_ERROR_REASONS } from '../../src/graph/errors.js';
import { isNode, parsedSource, placeOf, sourceFiles, walk, type AstNode } from '../support/sourceTree.js';

const root = path.resolve(import.meta.dirname, '../..');
const doc = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');

/** The rows of the markdown table under a `## heading`, as cells with their backticks removed. */
function tableUnder(heading: string): string[][] {
  const section = doc.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  if (!section) throw new Error(`docs/errors.md has no "## ${heading}" section`);
  return section.split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) => line.slice(1, -1).split('|').map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')));
}

function literal(node: unknown): string | undefined {
  let inner = node;
  while (isNode(inner) && ['TSAsExpression', 'TSSatisfiesExpression', 'ParenthesizedExpression'].includes(inner.type)) inner = inner['expression'];
  if (!isNode(inner)) return undefined;
  if (inner.type === 'Literal' && typeof inner['value'] === 'string') return inner['value'];
  const quasis = inner['quasis'] as { value: { cooked: string } }[] | undefined;
  if (inner.type === 'TemplateLiteral' && quasis?.length === 1) return quasis[0]!.value.cooked;
  return undefined;
}

const nameOf = (node: unknown): string | undefined =>
  isNode(node) ? (node.type === 'Identifier' ? (node['name'] as string) : literal(node)) : undefined;

const ERROR_CONSTRUCTORS = new Set(['AppError', 'GraphQLError']);

/** Whether a node sits inside `new AppError(…)`, `new GraphQLError(…)` or a `super(…)` call. */
function insideErrorConstruction(ancestors: AstNode[]): boolean {
  return ancestors.some((at) =>
    (at.type === 'NewExpression' && ERROR_CONSTRUCTORS.has(nameOf(at['callee']) ?? ''))
    || (at.type === 'CallExpression' && isNode(at['callee']) && at['callee'].type === 'Super'));
}

/**
 * Every reason literal in src/, with where it is: a `reason:` property whose value is a SCREAMING_SNAKE literal
 * (lower-case `reason`s in src/ are domain data, such as why a party matched) or any literal `reason:` inside an
 * error's construction, and a literal passed where a function of the same file takes a parameter named `reason`.
 */
function reasonsInSource(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const { text, program } = parsedSource(file);
    const add = (reason: string, node: AstNode) => {
      const where = placeOf(file, text, node);
      found.set(reason, [...(found.get(reason) ?? []), where]);
    };
    const reasonParameters = new Map<string, number>();
    walk(program, (node) => {
      if (node.type !== 'FunctionDeclaration' && node.type !== 'MethodDefinition') return;
      const fn = (node.type === 'MethodDefinition' ? node['value'] : node) as AstNode;
      const name = nameOf(node.type === 'MethodDefinition' ? node['key'] : node['id']);
      const params = (fn['params'] as AstNode[] | undefined) ?? [];
      const index = params.findIndex((p) => nameOf(p.type === 'TSParameterProperty' ? p['parameter'] : p) === 'reason');
      if (name && index >= 0) reasonParameters.set(name, index);
    });
    walk(program, (node, ancestors) => {
      if (node.type === 'Property' && nameOf(node['key']) === 'reason') {
        const value = literal(node['value']);
        if (value !== undefined && (/^[A-Z][A-Z0-9_]*$/.test(value) || insideErrorConstruction(ancestors))) add(value, node);
      }
      if (node.type === 'CallExpression') {
        const index = reasonParameters.get(nameOf(node['callee']) ?? '');
        const value = index === undefined ? undefined : literal((node['arguments'] as unknown[])[index]);
        if (value !== undefined) add(value, node);
      }
    });
  }
  return found;
}

describe('the error catalogue (docs/errors.md)', () => {
  const reasonRows = tableUnder('Reasons');
  const documented = new Map(reasonRows.map((row) => [row[0]!, row]));
  const inSource = reasonsInSource();
  // The formatter gives Apollo's request-error codes as reasons without a literal `reason:` per code.
  const emitted = new Set([...inSource.keys(), ...REQUEST_ERROR_REASONS]);

  it('lists every reason in the table, each once, with the table\'s code, what it means and what to do', () => {
    expect(reasonRows.length).toBe(documented.size);
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_REASONS).sort());
    for (const [reason, code] of Object.entries(ERROR_REASONS)) {
      const row = documented.get(reason)!;
      expect(row[1], reason).toBe(code);
      expect(row[2]?.length, `${reason}: what it means`).toBeGreaterThan(0);
      expect(row[3]?.length, `${reason}: what to do`).toBeGreaterThan(0);
    }
  });

  it('the source gives no reason outside the table', () => {
    const unknown = [...inSource].filter(([reason]) => !Object.hasOwn(ERROR_REASONS, reason));
    expect(unknown).toEqual([]);
  });

  it('every reason in the table is given somewhere in the source', () => {
    expect(Object.keys(ERROR_REASONS).filter((reason) => !emitted.has(reason))).toEqual([]);
  });

  it('the scan sees reasons set in every way the source sets them', () => {
    // An AppError's details, a GraphQLError's extensions, a helper taking the reason, a formatter's lookup table:
    // if the scan missed one of these, the two checks above would pass on a blind scan.
    expect(inSource.get('MAKER_IS_CHECKER')?.some((where) => where.startsWith('src/commands/'))).toBe(true);
    expect(inSource.get('BAD_VARIABLES')?.some((where) => where.startsWith('src/graph/limits.ts'))).toBe(true);
    expect(inSource.get('QUERY_TOO_DEEP')?.some((where) => where.startsWith('src/graph/limits.ts'))).toBe(true);
    expect(inSource.get('PERSISTED_QUERY_HASH_MISMATCH')?.some((where) => where.startsWith('src/graph/errors.ts'))).toBe(true);
    expect(inSource.get('TOO_MANY_REQUESTS')?.some((where) => where.startsWith('src/rateLimits.ts'))).toBe(true);
  });

  it('says what to do with every code, the persisted query protocol\'s two included', () => {
    const rows = tableUnder('What to do with each code');
    expect(rows.map((row) => row[0]).sort()).toEqual([...ERROR_CODES, ...PERSISTED_QUERY_CODES].sort());
    for (const row of rows) expect(row[2]?.length, row[0]).toBeGreaterThan(0);
  });

  it('the table of codes lists the documented set', () => {
    const codesTable = doc.split(/^## /m)[0]!.split('\n').filter((line) => line.startsWith('| `')).map((line) => /^\| `([A-Z_]+)`/.exec(line)?.[1]);
    expect(codesTable.sort()).toEqual([...ERROR_CODES].sort());
  });
});
