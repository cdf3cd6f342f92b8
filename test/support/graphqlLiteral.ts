// A value written as a GraphQL input literal, for documents that inline a JSON argument (a rule set) rather than
// pass it as a variable: objects and lists are spelled out, everything else as JSON spells it (GraphQL's string,
// number, boolean and null literals are JSON's).
export function graphqlLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(graphqlLiteral).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined).map(([key, v]) => `${key}: ${graphqlLiteral(v)}`);
    return `{ ${fields.join(', ')} }`;
  }
  return JSON.stringify(value);
}
