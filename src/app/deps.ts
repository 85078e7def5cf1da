// What every use case needs: the store and the clock (time comes in, never from Date.now()).

import type { Clock, SmsProviderCapabilities, Store } from '../core/ports.js';

export interface CoreDeps {
  store: Store;
  clock: Clock;
}

/** Capabilities of a provider by id, or null when the bridge has no such provider configured. */
export type ProviderCapsLookup = (provider: string) => SmsProviderCapabilities | null;

/** Provider id of co-worker (internal) messages: they never pass through an SMS provider. */
export const INTERNAL_PROVIDER = 'internal';

export function nowIso(clock: Clock): string {
  return clock.now().toISOString();
}
