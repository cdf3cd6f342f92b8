// GET /metrics for Prometheus on a port of its own (METRICS_PORT on HOST): the public port, which the ingress
// routes to, never serves it, so what the process says about itself stays inside the cluster.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { collectProcessMetrics, registry } from './metrics.js';
import { listenRefused, PortTaken } from '../startUpProblem.js';

export const METRICS_PATH = '/metrics';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** Serves the registry on `host:port`; null when the port is 0 (metrics off). */
export async function startMetricsListener(host: string, port: number, log: Logger): Promise<MetricsListener | null> {
  if (port === 0) return null;
  collectProcessMetrics();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
    }, (error: unknown) => {
      log.warn({ err: { message: (error as Error).message } }, 'metrics could not be collected');
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected');
    });
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (error: Error) => reject(listenRefused(error, () => new PortTaken('METRICS_PORT', port, host, 'the metrics listener',
      'Set METRICS_PORT to a free port, or to 0 to serve no metrics, or stop the program using it.')));
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  // Once listening, an error (accept failing) is logged, never left to end the process.
  server.on('error', (error) => log.error({ err: { message: error.message } }, 'metrics listener error'));
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}${METRICS_PATH}`,
    close: () => new Promise<void>((resolve) => {
      // Prometheus keeps its connection open between scrapes: closing waits for nobody.
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
