// Summarises V8 CPU profiles (node --cpu-prof, e.g. `npm run bench:reads -- --profile DIR`): the functions with
// the most self time, and the time by package (node_modules/<name>, our src/, node internals), over all files given.
// `tsx bench/profileSummary.ts DIR/*.cpuprofile [--top 25] [--last S]`
// --last S counts only the S seconds that end with the profile's last busy second: with `bench:reads --only one`
// that is the measured load alone, without start-up and the booking of the loans (pgbench leaves the gateway idle).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, last: { type: 'string' } }, allowPositionals: true });
const isIdle = (name: string) => name === '(idle)' || name === '(program)';

/** When each sample was taken, and the window --last keeps (the whole profile without it). */
function windowOf(profile: Profile, nodes: Map<number, ProfileNode>): { at: number[]; from: number; to: number } {
  const at: number[] = [];
  let clock = profile.startTime;
  for (const delta of profile.timeDeltas) at.push((clock += delta));
  if (!values.last) return { at, from: -Infinity, to: Infinity };
  // A second is busy when more than half of it ran something.
  const busy = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (isIdle(nodes.get(id)!.callFrame.functionName)) return;
    const second = Math.floor((at[i]! - profile.startTime) / 1e6);
    busy.set(second, (busy.get(second) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const lastBusy = Math.max(...[...busy].filter(([, micros]) => micros > 500_000).map(([second]) => second));
  const to = profile.startTime + (lastBusy + 1) * 1e6;
  return { at, from: to - Number(values.last) * 1e6, to };
}
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
  const { at, from, to } = windowOf(profile, nodes);
  profile.samples.forEach((id, i) => {
    if (at[i]! < from || at[i]! >= to) return;
    const micros = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)!.callFrame;
    if (isIdle(frame.functionName)) return;
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
