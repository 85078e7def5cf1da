// While Redis is away, BullMQ reports an error on every reconnect attempt: the log gets the first
// one, then at most one line a minute, not several a second.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Liveness } from '../../src/infra/queue/liveness.js';
import { createTurns } from '../../src/infra/queue/turns.js';
import { uniquePrefix } from '../support/redis.js';
import { createTempStore } from '../support/tempStore.js';

describe('worker errors while Redis is down', () => {
  it('are logged once, not on every reconnect', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'error' }, sink);
    // Nothing listens on port 1: every connection attempt fails at once, retried every 20 ms.
    const connection = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, retryStrategy: () => 20 });
    connection.on('error', () => undefined);
    const prefix = uniquePrefix();
    const temp = await createTempStore();
    const liveness = new Liveness({ redis: connection, prefix, name: 'down' });
    const turns = createTurns({
      lane: 'send',
      redis: connection,
      own: connection,
      prefix,
      outbox: temp.store.outbox,
      liveness,
      handler: async () => ({ kind: 'done' }),
      abandon: async () => undefined,
      recover: false,
      logger,
    });
    let errors = 0;
    turns.worker?.on('error', () => errors++);
    void turns.worker?.run().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(errors).toBeGreaterThan(3); // BullMQ did report them again and again ...
    expect(lines.filter((l) => l.includes('"worker error"'))).toHaveLength(1); // ... the log once
    await Promise.race([turns.worker?.close(true), new Promise((r) => setTimeout(r, 2_000))]);
    await Promise.race([turns.queue.close(), new Promise((r) => setTimeout(r, 2_000))]);
    connection.disconnect();
    await temp.cleanup();
  }, 15_000);
});
