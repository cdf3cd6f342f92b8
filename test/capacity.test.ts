// A gateway at its WebSocket cap refuses further upgrades with 503 and Retry-After, instead of running out of
// file descriptors (where new sockets are reset silently and HTTP and the database become unreachable).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFilesLimit, websocketCap } from '../src/capacity.js';
import { startTestServer, type TestServer } from './support/harness.js';

describe('the WebSocket cap', () => {
  it('is the open-files limit less a reserve unless configured', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'limits-')), 'limits');
    writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            20000                20000                files     \n');
    expect(openFilesLimit(file)).toBe(20_000);
    expect(openFilesLimit(path.join(tmpdir(), 'no-such-limits-file'))).toBeNull();
    expect(websocketCap(undefined, 10, 20_000)).toBe(19_734);
    expect(websocketCap(500, 10, 20_000)).toBe(500);
    expect(websocketCap(undefined, 10, null)).toBe(10_000);
  });

  describe('at the cap', () => {
    let server: TestServer;
    const open: WebSocket[] = [];
    beforeAll(async () => {
      server = await startTestServer({ MAX_WEBSOCKET_CONNECTIONS: '2' });
    });
    afterAll(async () => {
      for (const socket of open) socket.terminate();
      await server.close();
    });

    it('refuses the next upgrade with 503 and Retry-After; HTTP keeps answering', async () => {
      for (let i = 0; i < 2; i += 1) {
        const socket = new WebSocket(server.gateway.websocketUrl, 'graphql-transport-ws');
        open.push(socket);
        await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
      }
      const refused = new WebSocket(server.gateway.websocketUrl, 'graphql-transport-ws');
      const response = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve) => {
        refused.once('unexpected-response', (_request, res) => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
      });
      expect(response).toEqual({ status: 503, retryAfter: '5' });
      expect((await fetch(`${server.gateway.url}/healthz`)).status).toBe(200);
    });
  });
});
