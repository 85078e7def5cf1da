// Issue 4, behaviour 5: carrier throughput per sending number, counted in segments, enforced in
// Redis across workers; jobs are held back (delayed), never failed; one busy number never slows
// another. Margins are generous: the assertions check the limiter's decisions and the spacing at
// the fake provider, never a tight clock.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/types.js';
import { segmentsPerSecond } from '../../src/infra/queue/rateLimiter.js';
import { createHarness, type Harness } from './support/harness.js';

const A = '+14152345678';
const B = '+14157654321';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function queue(x: Harness, from: string, to: string, n: number, body = 'hi'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await x.send(from, to, `${body} ${i}`);
    if (!r.ok) throw new Error('refused');
    ids.push(r.message.id);
  }
  return ids;
}

describe('throughput per sending number', () => {
  it('caps come from the number type, with a per-number override', async () => {
    const base = { e164: A, provider: 'fake', status: 'active' as const, country: 'US', createdAt: '', updatedAt: '' };
    expect(segmentsPerSecond({ ...base, type: 'local', segmentsPerSecond: null }, DEFAULT_POLICY)).toBe(1);
    expect(segmentsPerSecond({ ...base, type: 'toll-free', segmentsPerSecond: null }, DEFAULT_POLICY)).toBe(3);
    expect(segmentsPerSecond({ ...base, type: 'local', segmentsPerSecond: 10 }, DEFAULT_POLICY)).toBe(10);
  });

  it('two conversations on one number share its cap; held messages are delayed, never failed', async () => {
    h = await createHarness({ rateLimits: true, worker: false });
    await h.addNumber(A, { segmentsPerSecond: 4 });
    const ids = [...(await queue(h, A, '+12123456789', 3)), ...(await queue(h, A, '+12123450000', 3))];
    await h.startWorker();
    await h.waitFor(() => h!.fake.sent.length === 6, 'six sends', 20_000);
    const at = h.fake.sent.map((r) => r.at).sort((x, y) => x - y);
    // Six single-segment messages at 4 segments/s: at least 5 x 250 ms between first and last.
    expect(at[5]! - at[0]!).toBeGreaterThanOrEqual(1_100);
    // Arrival gaps only roughly: a send that starts late (a busy machine) narrows the gap to the
    // next one; the slots below are the exact rule.
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(100);
    // The limiter gave every send its own slot 250 ms apart (Redis time, no clock games).
    const slots = h.decisions.map((d) => d.slotAt);
    const distinct = [...new Set(slots)].sort((x, y) => x - y);
    expect(distinct).toHaveLength(6);
    for (let i = 1; i < distinct.length; i++) expect(distinct[i]! - distinct[i - 1]!).toBe(250);
    // 'sent' is recorded just after the provider answers (in the next commit batch).
    await h.waitFor(async () => (await Promise.all(ids.map((id) => h!.message(id)))).every((m) => m.status === 'sent'), 'all recorded sent');
    expect(await h.temp.store.outbox.listFailed()).toEqual([]);
  });

  it('a busy number does not slow another number', async () => {
    h = await createHarness({ rateLimits: true, worker: false });
    await h.addNumber(A, { segmentsPerSecond: 2 });
    await h.addNumber(B, { segmentsPerSecond: 2 });
    await queue(h, A, '+12123456789', 6, 'busy');
    const [quiet] = await queue(h, B, '+12123456789', 1, 'quiet');
    await h.startWorker();
    await h.waitFor(async () => (await h!.message(quiet!)).status === 'sent', 'quiet number sent');
    // B's only message got its slot at once although A had a backlog of 3 s.
    const forB = h.decisions.filter((d) => d.number === B);
    expect(forB).toHaveLength(1);
    expect(forB[0]!.delayMs).toBe(0);
    // And it went out long before A's backlog drained.
    const sentA = h.fake.sent.filter((r) => r.from === A).length;
    expect(sentA).toBeLessThan(6);
  });

  it('segments count: a 3-segment message takes three slots of the number', async () => {
    h = await createHarness({ rateLimits: true, worker: false });
    await h.addNumber(A, { segmentsPerSecond: 5 });
    const long = 'y'.repeat(153 * 2 + 10);
    await h.send(A, '+12123456789', long);
    await h.send(A, '+12123456789', 'short');
    await h.startWorker();
    await h.waitFor(() => h!.fake.sent.length === 2, 'two sends');
    const [first, second] = h.decisions.filter((d) => d.delayMs === 0);
    expect(first!.segments).toBe(3);
    // The short one waits for the long one's 3 segments at 5/s: 600 ms after its slot.
    const secondSlot = h.decisions.filter((d) => d.messageId === second!.messageId).map((d) => d.slotAt)[0]!;
    expect(secondSlot - first!.slotAt).toBe(600);
  });
});
