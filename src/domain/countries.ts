// Countries are ISO 3166-1 alpha-2 codes that ISO has assigned (249 of them), from the pinned `iso-3166` package,
// never the runtime's locale data: `Intl.DisplayNames` names 280 regions, among them codes ISO only reserves (EU,
// UN, UK, AC), user-assigned ones (XK, XA, QO) and ZZ, "Unknown Region".
import { iso31661 } from 'iso-3166/1.js';

const ASSIGNED: ReadonlySet<string> = new Set(iso31661.map((country) => country.alpha2));

/** Whether `code` is an assigned ISO 3166-1 alpha-2 code, in capitals: `US`, `IN`, `GB` (not `UK`, `EU` or `ZZ`). */
export function isCountry(code: string): boolean {
  return ASSIGNED.has(code);
}
