// Summarises V8 CPU profiles (node --cpu-prof, e.g. `npm run bench:reads -- --profile DIR`): the functions with
// the most self time, and the time by package (node_modules/<name>, our src/, node internals), over all files given.
// `tsx bench/profileSummary.ts DIR/*.cpuprofile [--top 25]`
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
const packageOf = (url: string) => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]!.split('/')[0]}`;
  return url ? url.replace(/^.*\//, '') : '(native / idle / gc)';
};
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') return;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/')}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + micros);
    const pkg = frame.functionName === '(garbage collector)' ? '(garbage collector)' : packageOf(frame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    total += micros;
  });
}
const line = (name: string, micros: number) => `${(micros / 1000).toFixed(0).padStart(8)} ms ${((micros / total) * 100).toFixed(1).padStart(5)} %  ${name}`;
process.stdout.write(`busy (not idle) ${(total / 1000).toFixed(0)} ms\n\nby package:\n`);
for (const [name, micros] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`${line(name, micros)}\n`);
process.stdout.write('\nby function (self time):\n');
for (const [name, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) process.stdout.write(`${line(name, micros)}\n`);
