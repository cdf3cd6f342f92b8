// `npx tsx examples/partner-client/src/cli.ts --token "$TOKEN"`: runs the partner flow once against a running
// Lendgraph and prints what arrived (README.md in this folder says how to start one and get a token).
import { parseArgs } from 'node:util';
import { runPartnerFlow } from './flow.js';
import { sampleApplication } from './sampleApplication.js';

const USAGE = `usage: npx tsx examples/partner-client/src/cli.ts --token TOKEN [--url URL] [--receiver-port PORT] [--webhook-url URL]

  --token TOKEN          the partner's bearer token (or LENDGRAPH_TOKEN)
  --url URL              the API (default http://127.0.0.1:4000/graphql)
  --receiver-port PORT   where the webhook receiver listens on 127.0.0.1 (default: any free port)
  --webhook-url URL      the URL to register, when the receiver is reached through a tunnel or proxy
`;

const { values } = parseArgs({
  options: {
    token: { type: 'string' },
    url: { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
    'receiver-port': { type: 'string', default: '0' },
    'webhook-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const token = values.token ?? process.env['LENDGRAPH_TOKEN'];
if (values.help || !token) {
  (values.help ? process.stdout : process.stderr).write(USAGE);
  process.exit(values.help ? 0 : 2);
}

const result = await runPartnerFlow({
  url: values.url,
  token,
  receiverPort: Number(values['receiver-port']),
  ...(values['webhook-url'] ? { publicWebhookUrl: values['webhook-url'] } : {}),
  application: sampleApplication(`CLIENT-${Date.now()}`),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ application: result.current ?? result.application, live: result.liveEvents.length, webhooks: result.webhooks.length }, null, 2)}\n`);
