// `npm run keycloak`: fetch (once) and start Keycloak on loopback with the Lendgraph realm applied, then wait.
// In another shell, `KEYCLOAK_URL=<printed url> npm start` serves with Keycloak as the identity provider.
import { parseArgs } from 'node:util';
import { KEYCLOAK_ADMIN, KEYCLOAK_VERSION, startKeycloak } from './keycloakServer.js';
import { adminClient, applyRealm, REALM } from '../src/authz/keycloak/realm.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, 'dashboard-origin': { type: 'string', default: 'http://127.0.0.1:4000' } } });
process.stdout.write(`starting Keycloak ${KEYCLOAK_VERSION} (first run fetches it from Maven Central)…\n`);
const server = await startKeycloak({ port: Number(values.port) });
const admin = await adminClient(server.url, KEYCLOAK_ADMIN);
await applyRealm(admin, { dashboardOrigins: [values['dashboard-origin']!] });
process.stdout.write(`Keycloak:  ${server.url} (admin console: ${KEYCLOAK_ADMIN.username} / ${KEYCLOAK_ADMIN.password}, loopback only)\n`);
process.stdout.write(`Realm:     ${server.url}/realms/${REALM}\nServe with: KEYCLOAK_URL=${server.url} npm start\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
