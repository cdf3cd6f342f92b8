// `npm run load -- [--env smoke|full] [--target-file FILE] [scenario …]`: runs the load scenarios (all, or those
// named) one after another against the gateway `npm run load:setup` prepared, prints what each amounted to and
// exits 1 when any failed a threshold or an answer (Artillery's `ensure`, and every GraphQL answer checked).
import { parseArgs } from 'node:util';
import path from 'node:path';
import { DEFAULT_REPORT_DIR, DEFAULT_TARGET_FILE, engineInstalled, runScenario, SCENARIO_NAMES, type Environment, type ScenarioName } from './artillery.js';
import { describeRun, figuresOf } from './report.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    env: { type: 'string', default: 'smoke' },
    'target-file': { type: 'string', default: DEFAULT_TARGET_FILE },
    'report-dir': { type: 'string', default: DEFAULT_REPORT_DIR },
    'loopback-only': { type: 'boolean', default: false },
  },
});

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: npm run load -- [--env smoke|full] [--target-file FILE] [--report-dir DIR] [--loopback-only] [${SCENARIO_NAMES.join('|')} …]\n`);
  process.exit(2);
}

if (values.env !== 'smoke' && values.env !== 'full') usage('--env must be smoke or full');
const environment: Environment = values.env;
for (const name of positionals) if (!SCENARIO_NAMES.includes(name as ScenarioName)) usage(`no scenario ${name}`);
const chosen = positionals.length ? (positionals as ScenarioName[]) : SCENARIO_NAMES;
if (!engineInstalled()) usage('Artillery is not installed: npm ci --prefix load-tests');

let failed = false;
for (const name of chosen) {
  process.stdout.write(`\n${name} (${environment})\n`);
  const result = await runScenario(name, { environment, targetFile: path.resolve(values['target-file']), reportDir: path.resolve(values['report-dir']), loopbackOnly: values['loopback-only'] });
  for (const run of result.runs) {
    const figures = figuresOf(run);
    process.stdout.write(`${describeRun(figures)}\n`);
    if (run.exitCode !== 0 || !run.report) {
      failed = true;
      if (!run.report) process.stdout.write(`${run.output.slice(-3000)}\n`);
    }
  }
}
process.stdout.write(`\nreports in ${path.resolve(values['report-dir'])}\n`);
process.exit(failed ? 1 : 0);
