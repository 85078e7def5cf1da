// Issue 4, behaviour 7: status callbacks move a message forward only, and the chat side is told
// only when the status actually moved.
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/types.js';
import { handleDeliveryUpdate } from '../../jobs/deliveryUpdates.js';
import { createHarness, fixedNotifier, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('delivery updates', () => {
  it('move the status forward and notify; a late or repeated callback changes nothing and notifies nobody', async () => {
    h = await createHarness();
    h.addNumber(LOCAL);
    const r = await h.send(LOCAL, '+12123456789', 'hello');
    if (!r.ok) throw new Error('refused');
    await h.waitFor(() => h!.message(r.message.id).status === 'sent', 'sent');
    const seen: Message[] = [];
    const deps = { store: h.temp.store, clock: { now: () => new Date() }, notifier: fixedNotifier(seen) };
    const pid = h.message(r.message.id).providerMessageId!;

    const delivered = await handleDeliveryUpdate(deps, { provider: 'fake', providerMessageId: pid, status: 'delivered' });
    expect(delivered.changed).toBe(true);
    expect(seen.map((m) => m.status)).toEqual(['delivered']);

    const late = await handleDeliveryUpdate(deps, { provider: 'fake', providerMessageId: pid, status: 'sent' });
    expect(late.changed).toBe(false);
    const repeat = await handleDeliveryUpdate(deps, { provider: 'fake', providerMessageId: pid, status: 'delivered' });
    expect(repeat.changed).toBe(false);
    expect(seen).toHaveLength(1);
    expect(h.message(r.message.id).status).toBe('delivered');

    const unknown = await handleDeliveryUpdate(deps, { provider: 'fake', providerMessageId: 'nope', status: 'delivered' });
    expect(unknown).toEqual({ message: null, changed: false });
  });
});
