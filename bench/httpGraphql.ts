// GraphQL over HTTP keep-alive for the benches: one agent per process (a socket per request in flight), the reply
// with its HTTP status and how long it took; a body that is not JSON comes back as an error naming the status.
import http from 'node:http';
import { onCleanUp } from './gatewayProcess.js';

export interface GraphQLReply<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
  status: number;
  ms: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
onCleanUp(() => agent.destroy());

export function graphql<T>(base: string, token: string, query: string, variables: Record<string, unknown>): Promise<GraphQLReply<T>> {
  const body = Buffer.from(JSON.stringify({ query, variables }));
  const url = new URL('/graphql', base);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request({
      agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const elapsed = performance.now() - started;
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const parsed = JSON.parse(text) as { data?: T; errors?: GraphQLReply<T>['errors'] };
          resolve({ ...parsed, status: response.statusCode ?? 0, ms: elapsed });
        } catch {
          resolve({ errors: [{ message: `HTTP ${response.statusCode}: ${text.slice(0, 300)}` }], status: response.statusCode ?? 0, ms: elapsed });
        }
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
