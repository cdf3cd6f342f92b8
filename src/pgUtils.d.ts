// The node-postgres helper that turns a JavaScript value into the text it sends for a parameter (arrays, dates,
// buffers, JSON). It ships untyped; this is the one function the commands' plain-SQL path uses.
declare module 'pg/lib/utils.js' {
  export function prepareValue(value: unknown): string | Buffer | null;
}
