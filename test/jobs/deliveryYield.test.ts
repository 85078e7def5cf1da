// Webhook acks share the event loop with chat deliveries (src/infra/queue/yieldGate.ts): a
// burst of delivery steps that become ready together must not run back to back, or an incoming
// webhook waits behind all of them.
import { describe, expect, it } from 'vitest';
import { yieldGate } from '../../src/infra/queue/yieldGate.js';

describe('delivery steps yield to the event loop', () => {
  it('delivery steps ready at once run one per loop turn, with other callbacks in between', async () => {
    const turn = yieldGate();
    const order: string[] = [];
    const steps = [1, 2, 3].map(async (n) => {
      await turn();
      order.push(`step ${n}`);
    });
    // Stands for a webhook's I/O callback that arrives while the burst is waiting.
    setImmediate(() => order.push('other'));
    await Promise.all(steps);
    expect(order).toEqual(['step 1', 'other', 'step 2', 'step 3']);
  });

  it('every waiting step gets its turn, in the order it asked', async () => {
    const turn = yieldGate();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, n) => {
        await turn();
        order.push(n);
      }),
    );
    expect(order).toEqual(Array.from({ length: 50 }, (_, n) => n));
    // The gate is reusable once drained.
    await turn();
  });
});
