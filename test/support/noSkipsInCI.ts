// Under CI=true a skipped test is a failure: nothing required may be silently left out.
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipsInCI implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (!process.env['CI']) return;
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.result().state === 'skipped') skipped.push(`${module.moduleId}: ${test.fullName}`);
      }
    }
    if (skipped.length > 0) {
      process.stderr.write(`\nCI=true and ${skipped.length} test(s) were skipped; every suite is required:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n`);
      process.exitCode = 1;
    }
  }
}
