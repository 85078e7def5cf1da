// Order from the keyboard to the phone (issue 12): agents write replies in ten conversation
// threads at once, each thread as fast as the bridge acknowledges (as Slack posts them), some
// replies with files whose download takes 1-2 s, some by authors whose names are not cached yet.
// Every reply reaches the provider once, and each contact gets them in the order they were written
// (Slack's ts order), however long each one's preparation took.
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL, OUR, createSlackHarness, type SlackHarness } from './harness.js';

let h: SlackHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const THREADS = 10;
const REPLIES = 30;
const contactOf = (k: number) => `+1212555${String(3400 + k).padStart(4, '0')}`;

describe('replies of a thread go out in the order they were written', () => {
  it(`${THREADS} threads x ${REPLIES} replies, with slow file downloads and uncached authors: each once, in ts order per contact`, async () => {
    h = await createSlackHarness();
    const x = h;
    await x.setupNumber();
    for (let k = 0; k < THREADS; k++) x.slack.addUser({ id: `UAG${k}`, name: `agent${k}` });
    // The first lookups of names are slow: replies of new authors take longer to prepare.
    x.slack.failNext('users.info', { kind: 'slow', delayMs: 700 }, 15);

    // One conversation thread per contact, started by an inbound SMS.
    for (let k = 0; k < THREADS; k++) {
      expect((await x.inboundSms({ sid: `SMORDER${k}`, body: `hello from ${k}`, from: contactOf(k) })).status).toBe(200);
    }
    const threadOf = new Map<number, string>();
    await x.waitFor(async () => {
      for (let k = 0; k < THREADS; k++) {
        const conv = await x.temp.store.conversations.find(OUR, contactOf(k));
        const thread = conv ? await x.temp.store.threads.get(conv.id, 'slack', CHANNEL) : null;
        if (thread) threadOf.set(k, thread.threadId);
      }
      return threadOf.size === THREADS;
    }, 'the ten threads', 30_000);

    const base = Math.floor(Date.now() / 1000);
    const written = new Map<string, string[]>();
    await Promise.all(
      Array.from({ length: THREADS }, async (_, k) => {
        const bodies: string[] = [];
        written.set(contactOf(k), bodies);
        for (let i = 0; i < REPLIES; i++) {
          const text = `t${k} reply ${i}`;
          bodies.push(text);
          const ts = `${base + i}.${String(100_000 + k * 1000 + i).padStart(6, '0')}`;
          const withFile = i % 7 === 3;
          const event: Record<string, unknown> = {
            user: i % 5 === 0 ? `UAG${k}` : 'UAGENT',
            text,
            ts,
            thread_ts: threadOf.get(k),
          };
          if (withFile) {
            event.subtype = 'file_share';
            event.files = [x.slack.hostFile(Buffer.from(`picture ${k}-${i}`), { name: `p${i}.jpg`, mimetype: 'image/jpeg', delayMs: 1_000 + ((k * 37 + i * 11) % 1_000) })];
          }
          const res = await x.slackEvent(event);
          expect(res.status).toBe(200);
        }
      }),
    );

    await x.waitFor(() => x.twilio.calls.length >= THREADS * REPLIES, 'every reply at the provider', 90_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(x.twilio.calls).toHaveLength(THREADS * REPLIES);
    for (let k = 0; k < THREADS; k++) {
      const contact = contactOf(k);
      const got = x.twilio.calls.filter((c) => c.To === contact).map((c) => c.Body);
      expect(got, `the order ${contact} received`).toEqual(written.get(contact));
    }
    // The pictures went along as MMS, each with its own reply.
    expect(x.twilio.calls.filter((c) => c.MediaUrl.length > 0)).toHaveLength(THREADS * Math.ceil((REPLIES - 3) / 7));
  }, 150_000);
});
