// Provider status callbacks (issue 4, behaviour 7): the status moves forward only (the core's
// applyDeliveryUpdate), and the chat side hears about it only when it actually moved.
// Provider webhook routes call this after verifying and parsing a callback.
import { applyDeliveryUpdate } from '../src/core/usecases/applyDeliveryUpdate.js';
import type { Clock, StatusNotifier, Store } from '../src/core/ports.js';
import type { DeliveryUpdate, Message } from '../src/core/types.js';

export interface DeliveryUpdateDeps {
  store: Store;
  clock: Clock;
  notifier: StatusNotifier;
}

export async function handleDeliveryUpdate(
  deps: DeliveryUpdateDeps,
  update: DeliveryUpdate,
): Promise<{ message: Message | null; changed: boolean }> {
  const result = applyDeliveryUpdate({ store: deps.store, clock: deps.clock }, update);
  if (result.changed && result.message) {
    // Showing the status is best effort: the callback is acknowledged either way (the provider
    // would only retry it, and the stored status is already right).
    await deps.notifier.statusChanged(result.message).catch(() => undefined);
  }
  return result;
}
