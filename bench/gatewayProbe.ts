// Preloaded into the gateway by `npm run bench:subscribers`
// (`node --expose-gc --import tsx --import ./bench/gatewayProbe.ts dist/main.js`) so that the gateway can report
// what /proc cannot show, without a line of src/ knowing about benchmarks. It answers over the IPC channel:
// - `memory`: its V8 heap, after a full collection (garbage left from connecting must not count as memory held per
//   connection). RSS is read by the bench from /proc: process.memoryUsage() opens /proc/self/stat, which fails
//   (and would take the gateway down) when the gateway has used up its file descriptors.
// - `marks`: the delivery stages marked since the last ask (src/events/deliveryTrace.ts), then forgets them.
// - `profile-start` / `profile-stop`: a V8 CPU profile of just that window, written to the file named.
import { writeFileSync } from 'node:fs';
import diagnosticsChannel from 'node:diagnostics_channel';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { DELIVERY_TRACE_CHANNEL, type DeliveryMark } from '../src/events/deliveryTrace.js';

export interface GatewayMemory {
  type: 'memory';
  heapUsed: number;
  /** Memory V8 knows to be held outside its heap (buffers and the like). */
  external: number;
  /** The most the V8 heap may grow to (--max-old-space-size, or V8's default for this machine). */
  heapLimit: number;
  collected: boolean;
}

export interface GatewayMarks { type: 'marks'; marks: DeliveryMark[] }

export type ToProbe = { type: 'memory' } | { type: 'marks' } | { type: 'profile-start' } | { type: 'profile-stop'; file: string };

let marks: DeliveryMark[] = [];
diagnosticsChannel.subscribe(DELIVERY_TRACE_CHANNEL, (mark) => {
  if (marks.length < 10_000) marks.push(mark as DeliveryMark);
});

let session: Session | undefined;

process.on('message', (message: ToProbe) => {
  if (message?.type === 'marks') {
    process.send?.({ type: 'marks', marks } satisfies GatewayMarks);
    marks = [];
    return;
  }
  if (message?.type === 'profile-start') {
    void (async () => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      process.send?.({ type: 'profiling' });
    })();
    return;
  }
  if (message?.type === 'profile-stop') {
    void (async () => {
      const { profile } = (await session!.post('Profiler.stop')) as { profile: unknown };
      writeFileSync(message.file, JSON.stringify(profile));
      session!.disconnect();
      session = undefined;
      process.send?.({ type: 'profiled' });
    })();
    return;
  }
  if (message?.type !== 'memory') return;
  // Twice: the first pass can leave objects that only the second finds unreachable (weak references, finalizers).
  globalThis.gc?.();
  globalThis.gc?.();
  const heap = v8.getHeapStatistics();
  const reply: GatewayMemory = {
    type: 'memory',
    heapUsed: heap.used_heap_size,
    external: heap.external_memory,
    heapLimit: heap.heap_size_limit,
    collected: typeof globalThis.gc === 'function',
  };
  process.send?.(reply);
});
// The channel must not keep the gateway alive: it ends as main.ts decides.
process.channel?.unref();
