// The lane sweep (jobs/orderedProcessor.ts sweepLanes): whatever lost a lane's wake-up, its
// messages still go out, in order, within one sweep interval: not only when the conversation
// gets its next message or the bridge restarts. And a late second finish of a message never
// wakes the next one early from a hold it is in on purpose (Retry-After, backoff).
import { afterEach, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../jobs/lanes.js';
import { laneUpkeep, sweepLanes } from '../../jobs/orderedProcessor.js';
import { createOrderedQueue, createOrderedWorker } from '../../jobs/orderedQueue.js';
import { SEND_KIND } from '../../jobs/outboundQueue.js';
import { deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';
import { createHarness, type HarnessOptions } from './support/harness.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';

// What each test started, stopped after it (harnesses, queues, workers, their Redis keys).
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups) await fn();
  cleanups = [];
});

async function harness(opts: HarnessOptions) {
  const x = await createHarness(opts);
  cleanups.push(() => x.close());
  return x;
}

describe('lane sweep', () => {
  it('a conversation whose first message lost its job is sent, in order, by the sweep alone', async () => {
    // No start-up recovery and no new message: only the sweep can find this lane.
    const x = await harness({ worker: false, recoverOnStart: false, sweepIntervalMs: 200 });
    x.addNumber(LOCAL);
    const ids = await x.acceptAll(LOCAL, CONTACT, ['one', 'two', 'three']);
    await x.pipeline.queue.ordered.queue.remove(jobIdFor(SEND_KIND, ids[0]!));
    await x.startWorker();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent', 10_000);
    expect(x.fake.requests.map((r) => r.body)).toEqual(['one', 'two', 'three']);
  });

  it('a late second finish of a message leaves the held-back job of the next one where it is', async () => {
    const x = await harness({ worker: false, recoverOnStart: false });
    const { queue, lanes } = x.pipeline.queue.ordered;
    const lane = 'conversation-1';
    // y is the head, held back for a minute (a Retry-After, say); x was finished already.
    await queue.add(SEND_KIND, { id: 'y', lane, head: true }, { jobId: jobIdFor(SEND_KIND, 'y'), delay: 60_000 });
    await x.redis.rpush(lanes.key(lane), 'y');
    const upkeep = laneUpkeep({ queue, lanes, kind: SEND_KIND, abandon: async () => undefined });
    await upkeep.finish({ id: 'x', lane });
    expect(await queue.getJobState(jobIdFor(SEND_KIND, 'y'))).toBe('delayed');
  });
});

/**
 * An ordered queue and its worker on the shared Redis (own prefix): message 'a' fails in its
 * handler on every attempt, the others succeed; `abandon` is the failure-recording hook under
 * test. Every run is listed in `events` ('run <id>'). Cleaned up after the test.
 */
async function failingFirstMessage(opts: { attempts: number; sweepIntervalMs: number; abandon: (id: string) => Promise<void> }) {
  const redis = newRedis();
  const prefix = uniquePrefix();
  const target = createOrderedQueue({ connection: redis, prefix, name: 'send', kind: 'send', attempts: opts.attempts });
  const events: string[] = [];
  const worker = createOrderedWorker({
    target,
    connection: redis,
    prefix,
    backoff: { baseMs: 10, maxMs: 10 },
    sweepIntervalMs: opts.sweepIntervalMs,
    handler: async (item) => {
      events.push(`run ${item.id}`);
      if (item.id === 'a') throw new Error('a bug in the handler');
      return { kind: 'done' };
    },
    abandon: opts.abandon,
  });
  void worker.run();
  cleanups.push(async () => {
    await worker.close();
    await target.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });
  await target.enqueue('a', 'conversation-1');
  await target.enqueue('b', 'conversation-1');
  return { target, events };
}

describe('a final failure whose recording fails', () => {
  it('holds the lane until the failure is recorded (the sweep tries again), then the next message runs', async () => {
    let refusals = 1;
    const { target, events } = await failingFirstMessage({
      attempts: 2,
      sweepIntervalMs: 200,
      abandon: async (id) => {
        // The store refuses once (busy), then takes it.
        if (refusals-- > 0) throw new Error('database is locked');
        events.push(`recorded ${id}`);
      },
    });
    await waitUntil(() => events.includes('run b'), 'b run after a failed for good', 10_000);
    // b ran only once a's failure was on record: a lane never moves past an unrecorded failure.
    expect(events).toEqual(['run a', 'run a', 'recorded a', 'run b']);
    expect(await target.queue.getJobState(jobIdFor('send', 'a'))).toBe('failed');
  });
});

describe('a final failure that can never be recorded', () => {
  it('holds its conversation for a while, then the sweep lets the later messages go and names the unrecorded one', async () => {
    const abandon = async (): Promise<void> => {
      throw new Error('disk I/O error');
    };
    const { target, events } = await failingFirstMessage({ attempts: 1, sweepIntervalMs: 0 /* swept by hand below */, abandon });
    await waitUntil(async () => (await target.queue.getJobState(jobIdFor('send', 'a'))) === 'failed', 'a failed for good');
    const upkeep = { queue: target.queue, lanes: target.lanes, kind: 'send', abandon };
    const errors: string[] = [];
    // Within the limit: the lane still waits for the failure to be recorded.
    expect(await sweepLanes(upkeep, (err, lane) => errors.push(`${lane}: ${(err as Error).message}`))).toEqual([]);
    expect(errors).toEqual(['conversation-1: disk I/O error']);
    expect(events).toEqual(['run a']);
    // Past it: freed, and said.
    expect(await sweepLanes({ ...upkeep, recordFailureForMs: 0 }, () => undefined)).toEqual([
      { lane: 'conversation-1', head: 'a', action: 'abandoned-unrecorded' },
    ]);
    await waitUntil(() => events.includes('run b'), 'b run');
  });
});
