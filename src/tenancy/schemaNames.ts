// Tenant slugs and the Postgres schema each one owns. The mapping is one-to-one: slugs use hyphens and
// never underscores, schema names use underscores.
export const PLATFORM_SCHEMA = 'platform';

const SLUG = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

export function isValidSlug(slug: string): boolean {
  return SLUG.test(slug) && !slug.includes('--');
}

export function schemaForSlug(slug: string): string {
  if (!isValidSlug(slug)) throw new Error(`invalid tenant slug: ${slug}`);
  return `tenant_${slug.replaceAll('-', '_')}`;
}

/** Identifiers here are built only from validated slugs or constants; quoting is a second safety. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing unusual identifier: ${name}`);
  return `"${name}"`;
}
