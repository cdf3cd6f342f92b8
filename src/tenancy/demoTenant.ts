// The sandbox tenant a laptop starts with: the explorer opens as its tenant admin (development issuer only).
import type { NewTenant } from './provisioning.js';

export const DEMO_TENANT: NewTenant = {
  slug: 'demo',
  displayName: 'Demo Lender (sandbox)',
  currency: 'USD',
  timeZone: 'America/New_York',
  sandbox: true,
};
