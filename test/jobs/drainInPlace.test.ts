// Issue 4, behaviours 3, 4, 6 and 9 when a send job sends the following messages of its
// conversation in place (lanes.ts, "Drain in place"): a burst queued behind a message goes out in
// order from that message's job, and nothing about a message sent in place may differ from one
// sent by its own job: sent once (duplicate enqueues, recovery and parked jobs give it no second
// run), retries and holds keep their rules, a final failure stays an inspectable failed job, and a
// closing worker stops sending in place.
import { afterEach, describe, expect, it } from 'vitest';
import type { MinimalJob } from 'bullmq';
import { BACKOFF_TYPE } from '../../jobs/backoff.js';
import { jobIdFor, type LaneJobData } from '../../jobs/lanes.js';
import { countingPriorAttempts } from '../../jobs/orderedQueue.js';
import { SEND_KIND } from '../../jobs/outboundQueue.js';
import { waitUntil } from '../support/wait.js';
import { createHarness, type Harness, type HarnessOptions } from './support/harness.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The first message is held open at the provider while the others are accepted, so they queue
 * behind it without jobs and its job sends them in place once it is answered.
 */
async function burstBehindHeldHead(opts: HarnessOptions, bodies: string[]): Promise<{ x: Harness; ids: string[]; lane: string }> {
  const x = await createHarness(opts);
  h = x;
  x.addNumber(LOCAL);
  x.fake.setScript((r) => (r.body === bodies[0] ? 'hold' : 'ok'));
  const [first] = await x.acceptAll(LOCAL, CONTACT, bodies.slice(0, 1));
  await x.fake.waitForRequests(1);
  const rest = await x.acceptAll(LOCAL, CONTACT, bodies.slice(1));
  const ids = [first!, ...rest];
  return { x, ids, lane: x.message(first!).conversationId };
}

/** Lets m0 go and holds m1, the first message sent in place, at the provider. */
async function holdFirstInPlace(x: Harness): Promise<void> {
  x.fake.setScript((r) => (r.body === 'm1' ? 'hold' : 'ok'));
  x.fake.releaseHeld();
  await x.fake.waitForRequests(2);
}

/** Lets the held requests go; every message reaches the provider once, in accepted order. */
async function releaseAndExpectOnceInOrder(x: Harness, ids: string[], bodies: string[]): Promise<void> {
  x.fake.releaseHeld();
  await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent');
  await pause(300); // a second run of any of them would reach the provider meanwhile
  expect(x.fake.requests.map((r) => r.body)).toEqual(bodies);
}

/**
 * A lane left as a crash or a Redis error can leave it, built by hand with no worker running:
 * the messages are accepted, and the first one's job is gone (the lane's head has no job).
 */
async function headWithoutJob(bodies: string[]) {
  const x = await createHarness({ worker: false, recoverOnStart: false });
  h = x;
  x.addNumber(LOCAL);
  const ids = await x.acceptAll(LOCAL, CONTACT, bodies);
  const { queue, lanes } = x.pipeline.queue.ordered;
  await queue.remove(jobIdFor(SEND_KIND, ids[0]!));
  return { x, ids, lane: x.message(ids[0]!).conversationId, queue, lanes };
}

const jobState = (x: Harness, id: string) => x.pipeline.queue.ordered.queue.getJobState(jobIdFor(SEND_KIND, id));
const requestsFor = (x: Harness, body: string) => x.fake.requests.filter((r) => r.body === body).length;

describe('a burst of one conversation is sent in place by the job before it', () => {
  it('goes out in accepted order, each message once, without jobs of their own', async () => {
    const bodies = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
    const { x, ids } = await burstBehindHeldHead({}, bodies);
    x.fake.releaseHeld();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent');
    expect(x.fake.sent.map((r) => r.body)).toEqual(bodies);
    // The job completes a moment after the last message it sent is recorded.
    await waitUntil(async () => (await jobState(x, ids[0]!)) === 'completed', 'job of m0 completed');
    for (const id of ids.slice(1)) expect(await jobState(x, id)).toBe('unknown');
  });

  it('sends at most drainInPlace messages in one job: the next one gets a job, which sends the rest', async () => {
    const bodies = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
    const { x, ids } = await burstBehindHeldHead({ drainInPlace: 2 }, bodies);
    x.fake.releaseHeld();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent');
    expect(x.fake.sent.map((r) => r.body)).toEqual(bodies);
    await waitUntil(async () => (await jobState(x, ids[3]!)) === 'completed', 'job of m3 completed');
    const states = await Promise.all(ids.map((id) => jobState(x, id)));
    expect(states).toEqual(['completed', 'unknown', 'unknown', 'completed', 'unknown', 'unknown']);
  });

  it('turned off (SEND_DRAIN_IN_PLACE=0, e.g. during a rolling upgrade), every message runs in its own job', async () => {
    const bodies = ['m0', 'm1', 'm2'];
    const { x, ids } = await burstBehindHeldHead({ drainInPlace: 0 }, bodies);
    x.fake.releaseHeld();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent');
    expect(x.fake.sent.map((r) => r.body)).toEqual(bodies);
    await waitUntil(async () => (await jobState(x, ids[2]!)) === 'completed', 'job of m2 completed');
    expect(await Promise.all(ids.map((id) => jobState(x, id)))).toEqual(['completed', 'completed', 'completed']);
  });

  it('a duplicate enqueue or a start-up recovery of the message being sent in place gives it no second run', async () => {
    const { x, ids, lane } = await burstBehindHeldHead({}, ['m0', 'm1', 'm2']);
    await holdFirstInPlace(x);
    expect(x.message(ids[1]!).status).toBe('sending');

    // A chat platform's retry of m1 and a recovery pass (another instance starting) meanwhile.
    await x.pipeline.queue.enqueueSend(ids[1]!, lane);
    const recovered = await x.pipeline.recover();
    expect(recovered.enqueued).toBe(2);
    await pause(300);
    expect(await jobState(x, ids[1]!)).toBe('unknown');

    await releaseAndExpectOnceInOrder(x, ids, ['m0', 'm1', 'm2']);
  });

  it('a job parked behind the message being sent in place waits; it does not give that message a job', async () => {
    const { x, ids, lane } = await burstBehindHeldHead({}, ['m0', 'm1', 'm2']);
    await holdFirstInPlace(x);

    // A job of m2 that runs while m2 is behind (an admin retry, an earlier version's parked job):
    // it parks itself and checks that the head it waits for can make progress.
    const queue = x.pipeline.queue.ordered.queue;
    await queue.add(SEND_KIND, { id: ids[2]!, lane }, { jobId: jobIdFor(SEND_KIND, ids[2]!) });
    await waitUntil(async () => (await jobState(x, ids[2]!)) === 'delayed', 'm2 parked');
    await pause(300);
    expect(await jobState(x, ids[1]!)).toBe('unknown');

    await releaseAndExpectOnceInOrder(x, ids, ['m0', 'm1', 'm2']);
  });
});

describe('a claim lives exactly as long as the run that holds it', () => {
  it('a message in place longer than the lock duration gets no second run from new messages, duplicates or recovery meanwhile', async () => {
    // Lock 2 s, renewed by BullMQ while the job runs: m1 is held at the provider for 3.5 s.
    const { x, ids, lane } = await burstBehindHeldHead({ lockDurationMs: 2_000, stalledIntervalMs: 1_000 }, ['m0', 'm1', 'm2']);
    await holdFirstInPlace(x);
    await pause(2_500);
    const [m3] = await x.acceptAll(LOCAL, CONTACT, ['m3']);
    await x.pipeline.queue.enqueueSend(ids[1]!, lane);
    await x.pipeline.recover();
    await pause(1_000);
    expect(await jobState(x, ids[1]!)).toBe('unknown');
    expect(x.message(ids[1]!).status).toBe('sending');

    await releaseAndExpectOnceInOrder(x, [...ids, m3!], ['m0', 'm1', 'm2', 'm3']);
  }, 20_000);
});

describe('a message sent in place keeps the rules of its own job', () => {
  it('a permanent error fails it with the provider code, as an inspectable failed job, and the next message goes on', async () => {
    const { x, ids } = await burstBehindHeldHead({}, ['m0', 'm1', 'm2']);
    x.fake.setScript((r) =>
      r.body === 'm1' ? { status: 400, body: { code: '21211', message: "The 'To' number is not a valid phone number." } } : 'ok',
    );
    x.fake.releaseHeld();
    await x.waitFor(() => x.message(ids[2]!).status === 'sent', 'm2 sent');
    expect(x.message(ids[1]!)).toMatchObject({ status: 'failed', errorCode: '21211' });
    expect(requestsFor(x, 'm1')).toBe(1);
    await waitUntil(async () => (await jobState(x, ids[1]!)) === 'failed', 'm1 job failed');
    const job = await x.pipeline.queue.ordered.queue.getJob(jobIdFor(SEND_KIND, ids[1]!));
    expect(job?.failedReason).toMatch(/not a valid phone number/);
    expect(x.fake.sent.map((r) => r.body)).toEqual(['m0', 'm2']);
  });

  it('a transient error retries it in its own job with backoff; the attempt made in place counts, also for the backoff', async () => {
    // Backoff 400 ms doubling: retry 1 waits 200-400 ms, retry 2 400-800 ms (jitter makes the two
    // ranges touch, so which one a wait came from is checked below, without timing).
    const { x, ids } = await burstBehindHeldHead({ attempts: 3, backoff: { baseMs: 400, maxMs: 10_000 } }, ['m0', 'm1', 'm2']);
    x.fake.setScript((r) => (r.body === 'm1' ? { status: 503 } : 'ok'));
    x.fake.releaseHeld();
    await x.waitFor(() => x.message(ids[1]!).status === 'failed', 'm1 given up');
    expect(requestsFor(x, 'm1')).toBe(3);
    expect(x.message(ids[1]!).statusReason).toMatch(/gave up after 3 attempts/);
    const m1At = x.fake.requests.filter((r) => r.body === 'm1').map((r) => r.at);
    expect(m1At[1]! - m1At[0]!).toBeGreaterThanOrEqual(200);
    expect(m1At[2]! - m1At[1]!).toBeGreaterThanOrEqual(200);
    await x.waitFor(() => x.message(ids[2]!).status === 'sent', 'm2 sent');
    // m2 waited for every attempt of m1 (order across retries).
    const last = x.fake.requests.filter((r) => r.body === 'm1').at(-1)!.n;
    expect(x.fake.requests.find((r) => r.body === 'm2')!.n).toBeGreaterThan(last);
  });

  it('the backoff of its own job goes on from the attempt made in place (retry 2 waits as a second retry does)', () => {
    const asked: number[] = [];
    const backoff = countingPriorAttempts((n) => {
      asked.push(n);
      return 0;
    });
    const job = (data: Partial<LaneJobData>) => ({ data }) as unknown as MinimalJob;
    backoff(1, BACKOFF_TYPE, new Error('503'), job({ id: 'm1', lane: 'c', priorAttempts: 1 }));
    backoff(1, BACKOFF_TYPE, new Error('503'), job({ id: 'm2', lane: 'c' }));
    expect(asked).toEqual([2, 1]);
  });

  it('a 429 with Retry-After holds it back in its own job for that long, without using an attempt, and keeps order', async () => {
    // Two attempts: the hold must leave both (a 503 after it is retried once more).
    const { x, ids } = await burstBehindHeldHead({ attempts: 2 }, ['m0', 'm1', 'm2']);
    const replies: Array<'429' | '503' | 'ok'> = ['429', '503', 'ok'];
    const at: number[] = [];
    x.fake.setScript((r) => {
      if (r.body !== 'm1') return 'ok';
      at.push(Date.now());
      const reply = replies.shift() ?? 'ok';
      if (reply === '429') return { status: 429, headers: { 'retry-after': '1' }, body: { code: '20429' } };
      return reply === '503' ? { status: 503 } : 'ok';
    });
    x.fake.releaseHeld();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent');
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(950);
    expect(x.fake.sent.map((r) => r.body)).toEqual(['m0', 'm1', 'm2']);
  });
});

describe('rate limits while sending in place', () => {
  it('a message in place over its number\'s cap waits in its own job for a slot, then the rest follows in order', async () => {
    const x = await createHarness({ rateLimits: true });
    h = x;
    x.addNumber(LOCAL, { segmentsPerSecond: 2 });
    x.fake.setScript((r) => (r.body === 'r0' ? 'hold' : 'ok'));
    const [first] = await x.acceptAll(LOCAL, CONTACT, ['r0']);
    await x.fake.waitForRequests(1);
    const rest = await x.acceptAll(LOCAL, CONTACT, ['r1', 'r2', 'r3', 'r4']);
    const ids = [first!, ...rest];
    x.fake.releaseHeld();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent', 10_000);
    expect(x.fake.sent.map((r) => r.body)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    // 2 segments a second: five one-segment messages span at least 1.5 s (r0 and r1 at once).
    const at = x.fake.sent.map((r) => r.at);
    expect(at[4]! - at[0]!).toBeGreaterThanOrEqual(1_400);
    expect(x.decisions.some((d) => d.delayMs > 0)).toBe(true);
    expect(await x.pipeline.queue.ordered.queue.getFailedCount()).toBe(0);
  });
});

describe('shutdown while sending in place', () => {
  it('a closing worker finishes the message in hand and sends no more in place: the rest waits for the next worker, in order', async () => {
    const { x, ids } = await burstBehindHeldHead({}, ['m0', 'm1', 'm2', 'm3']);
    await holdFirstInPlace(x);

    const stopped = x.pipeline.worker!.close();
    await pause(100);
    x.fake.releaseHeld();
    await stopped;
    expect(x.message(ids[1]!).status).toBe('sent');
    expect(x.message(ids[2]!).status).toBe('queued');
    expect(await jobState(x, ids[2]!)).toBe('waiting');
    expect(x.fake.sent.map((r) => r.body)).toEqual(['m0', 'm1']);

    x.fake.setScript(() => 'ok');
    await x.startWorker();
    await x.waitFor(() => ids.every((id) => x.message(id).status === 'sent'), 'all sent');
    expect(x.fake.sent.map((r) => r.body)).toEqual(['m0', 'm1', 'm2', 'm3']);
  });
});

describe('a head that nobody runs', () => {
  it('(no job, no claim: its drainer died and no re-run took over) is healed by the next message of its conversation', async () => {
    const { x, ids: [stuck] } = await headWithoutJob(['x1']);
    await x.startWorker();
    const [next] = await x.acceptAll(LOCAL, CONTACT, ['x2']);
    await x.waitFor(() => x.message(next!).status === 'sent', 'x2 sent', 10_000);
    expect(x.message(stuck!).status).toBe('sent');
    expect(x.fake.sent.map((r) => r.body)).toEqual(['x1', 'x2']);
  });
});

describe('a claim whose run has ended', () => {
  it('is dead even when a later run of its job holds the same lock token: the next message heals the lane at once', async () => {
    const { x, ids: [claimed], lane, queue, lanes } = await headWithoutJob(['c1']);
    // c1 is the head with no job, claimed by run 1 of the drainer's job; that run ended and the
    // same worker slot runs the job again (run 2) with the same token, as BullMQ workers do.
    const drainer = jobIdFor(SEND_KIND, '0190a0a0-0000-7000-8000-000000000001');
    await x.redis.set(lanes.claimKey(lane), `${claimed!}|${drainer}|w1:1|1`, 'PX', 60_000);
    await x.redis.hset(queue.toKey(drainer), { ats: '2' });
    await x.redis.set(`${queue.toKey(drainer)}:lock`, 'w1:1', 'PX', 60_000);
    expect(await lanes.claim(lane)).toBeNull();

    await x.startWorker();
    const [next] = await x.acceptAll(LOCAL, CONTACT, ['c2']);
    await x.waitFor(() => x.message(next!).status === 'sent', 'c2 sent', 10_000);
    expect(x.fake.sent.map((r) => r.body)).toEqual(['c1', 'c2']);
  });
});

describe('the failed job of a message that failed in place', () => {
  it('run again after its lane was handed on half-way (Redis failed before the next job was added), still ends failed and heals the lane', async () => {
    const { x, ids: [failed, next], lane, queue, lanes } = await headWithoutJob(['f1', 'y1']);
    // The first run of f1's failed job removed f1 from the lane, then could not add y1's job.
    await x.redis.lrem(lanes.key(lane), 1, failed!);
    await queue.add(SEND_KIND, { id: failed!, lane, failed: '21211: not a valid phone number' }, { jobId: jobIdFor(SEND_KIND, failed!) });
    await x.startWorker();
    await x.waitFor(() => x.message(next!).status === 'sent', 'y1 sent', 10_000);
    await waitUntil(async () => (await jobState(x, failed!)) === 'failed', 'f1 job failed');
    const job = await queue.getJob(jobIdFor(SEND_KIND, failed!));
    expect(job?.failedReason).toBe('21211: not a valid phone number');
    expect(x.fake.sent.map((r) => r.body)).toEqual(['y1']);
  });
});
