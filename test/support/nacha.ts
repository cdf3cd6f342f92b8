// For the auto-debit tests: a return file as a receiving bank would send one back for some of a debit file's
// entries (each a return entry with its addenda 99: R-code, original trace number, original RDFI), and moov-io/ach's
// command line, which reads both files as the network does (built by scripts/test-prerequisites.sh).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD_LENGTH } from '../../src/domain/servicing/nacha.js';

export const ACHCLI = path.join(os.homedir(), '.cache', 'lendgraph', 'tools', 'achcli-v1.69.0');
export const hasAchcli = () => existsSync(ACHCLI);

/** What moov-io/ach reads in `content` (its JSON), after checking the file and its control totals; throws when it refuses. */
export function readWithMoov(content: string): { batches: { batchHeader: Record<string, unknown>; entryDetails: Record<string, unknown>[]; batchControl: Record<string, unknown> }[]; fileControl: Record<string, unknown> } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ach-')), 'file.ach');
  writeFileSync(file, content);
  execFileSync(ACHCLI, ['-validate-totals', file], { stdio: 'pipe' });
  return JSON.parse(execFileSync(ACHCLI, ['-validate-file', '-reformat=json', file], { stdio: 'pipe' }).toString('utf8'));
}

const pad = (text: string, width: number) => text.slice(0, width).padEnd(width, ' ');
const num = (value: bigint | number | string, width: number) => String(value).padStart(width, '0');

/** A return file for `returns` (each a line of the debit file and its R-code), from the receiving bank `rdfi`. */
export function returnFile(debitFile: string, returns: { trace: string; code: string }[], rdfi = '021000021'): string {
  const lines = debitFile.split('\n').filter((l) => l.length === RECORD_LENGTH);
  const header = lines[0]!;
  const batch = lines[1]!;
  const entries = lines.filter((l) => l.startsWith('6'));
  const out: string[] = [];
  // From the receiving bank to the lender's: destination the ODFI (from the original header), origin the RDFI.
  out.push('101' + header.slice(3, 13) + ' ' + rdfi + header.slice(23, 34) + '094101' + pad('RETURNING BANK', 23).slice(0, 23) + header.slice(63, 86) + pad('', 8));
  out.push('5' + '200' + batch.slice(4, 50) + 'PPD' + batch.slice(53, 79) + rdfi.slice(0, 8) + num(1, 7));
  let hash = 0n;
  let total = 0n;
  let count = 0;
  returns.forEach(({ trace, code }, k) => {
    const original = entries.find((e) => e.slice(79, 94) === trace);
    if (!original) throw new Error(`no entry with trace ${trace}`);
    const returnCode = original.slice(1, 3) === '27' ? '26' : '36';
    // The entry comes back to the originator's bank: RDFI fields name the ODFI.
    const odfi = batch.slice(79, 87);
    const odfiRouting = header.slice(4, 13);
    const traceOut = rdfi.slice(0, 8) + num(k + 1, 7);
    out.push('6' + returnCode + odfi + odfiRouting.slice(8) + original.slice(12, 29) + original.slice(29, 39) + original.slice(39, 54) + original.slice(54, 76) + '  ' + '1' + traceOut);
    out.push('799' + code + trace + pad('', 6) + original.slice(3, 11) + pad('', 44) + traceOut);
    hash += BigInt(odfi);
    total += BigInt(original.slice(29, 39));
    count += 2;
  });
  const entryHash = num(hash % 10_000_000_000n, 10);
  out.push('8' + '200' + num(count, 6) + entryHash + num(total, 12) + num(0, 12) + batch.slice(40, 50) + pad('', 19) + pad('', 6) + rdfi.slice(0, 8) + num(1, 7));
  const blocks = Math.ceil((out.length + 1) / 10);
  out.push('9' + num(1, 6) + num(blocks, 6) + num(count, 8) + entryHash + num(total, 12) + num(0, 12) + pad('', 39));
  while (out.length % 10 !== 0) out.push('9'.repeat(RECORD_LENGTH));
  return out.join('\n') + '\n';
}
