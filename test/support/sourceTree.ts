// The platform's own source read as syntax trees, for tests that check conventions no type can (oxc-parser's ESTree).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSync } from 'oxc-parser';

export const projectRoot = path.resolve(import.meta.dirname, '../..');

/** Every TypeScript file under `dir`, but the ORM's generated client. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

export type AstNode = { type: string; start: number; [key: string]: unknown };

export function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Walks an ESTree, giving each node with its ancestors, nearest first. */
export function walk(node: AstNode, visit: (node: AstNode, ancestors: AstNode[]) => void, ancestors: AstNode[] = []): void {
  visit(node, ancestors);
  const inner = [node, ...ancestors];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'parent') continue;
    for (const child of Array.isArray(value) ? value : [value]) if (isNode(child)) walk(child, visit, inner);
  }
}

/** A file's text and its syntax tree (TypeScript, whatever the file's name); throws when it does not parse. */
export function parsedSource(file: string): { text: string; program: AstNode } {
  const text = readFileSync(file, 'utf8');
  const parsed = parseSync(file, text, { lang: 'ts', sourceType: 'module' });
  if (parsed.errors.length > 0) throw new Error(`${file} does not parse: ${parsed.errors[0]!.message}`);
  return { text, program: parsed.program as unknown as AstNode };
}

/** `file:line` of a node, the file relative to the project. */
export function placeOf(file: string, text: string, node: AstNode): string {
  return `${path.relative(projectRoot, file)}:${text.slice(0, node.start).split('\n').length}`;
}
