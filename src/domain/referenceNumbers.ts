// The numbers a person reads out for a loan or an application (L-000123, A-000045): the tenant's own count,
// with a letter so a loan number is never taken for an application's. Six digits are padding, not a limit.

export type NumberedKind = 'loan' | 'application';

const PREFIX: Record<NumberedKind, string> = { loan: 'L', application: 'A' };

/** L-000123 for loan 123. */
export function formatNumber(kind: NumberedKind, n: number): string {
  return `${PREFIX[kind]}-${String(n).padStart(6, '0')}`;
}

/**
 * The count a typed number stands for: `L-000123`, `L-123`, `l123` and `123` are loan 123; an application's
 * older spelling `APP-0000045` is application 45. Null when the text is no number of this kind.
 */
export function parseNumber(kind: NumberedKind, text: string): number | null {
  const prefixes = kind === 'loan' ? 'L' : 'A|APP';
  const match = new RegExp(`^(?:(?:${prefixes})-?)?0*([0-9]{1,9})$`, 'i').exec(text.trim());
  if (!match) return null;
  const n = Number(match[1]);
  return n >= 1 && n <= 2_147_483_647 ? n : null;
}
