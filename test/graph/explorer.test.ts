// The explorer in a real (headless) browser with every non-loopback request refused: it must load from our
// own server alone, introspect the schema and run a query with the development issuer's token.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { provisionTenant } from '../../src/tenancy/provisioning.js';
import { DEMO_TENANT } from '../../src/tenancy/demoTenant.js';
import { startTestServer, type TestServer } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env['CI']) {
  throw new Error(`${CHROMIUM} is missing: the explorer suite is required in CI (scripts/test-prerequisites.sh installs it)`);
}

describe.skipIf(!available)('explorer in a browser, offline', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    await provisionTenant(server.runtime.pool, server.runtime.migrations, DEMO_TENANT, server.runtime.now());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads only from this server, introspects the schema and answers the opening query', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    await page.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
      external.push(route.request().url());
      return route.abort();
    });
    await page.goto(server.gateway.explorerUrl);
    await page.getByText('Send Request').click();
    await page.getByText(`"slug": "${DEMO_TENANT.slug}"`).waitFor({ timeout: 20_000 });
    // The answer came back through the dev issuer's token: the viewer is the demo tenant's admin.
    await page.getByText('"TENANT_ADMIN"').first().waitFor({ timeout: 5_000 });
    expect(external).toEqual([]);
  });
});
