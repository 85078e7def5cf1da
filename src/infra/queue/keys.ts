// Every Redis key of ours, in one place. They all live under `<QUEUE_PREFIX>:turns:` (leases,
// heartbeats) and `<QUEUE_PREFIX>:rate:` (throughput per number). BullMQ owns
// `<QUEUE_PREFIX>:<queue name>:*` and nothing of ours reads or writes there (a test checks it).
import type { Lane } from '../../core/ports.js';

export const ourKeyPrefixes = (prefix: string): string[] => [`${prefix}:turns:`, `${prefix}:rate:`];

export const keys = {
  /** `alive:<instance name>` holds the running boot's nonce while its heartbeat beats. */
  alivePrefix: (prefix: string) => `${prefix}:turns:alive:`,
  lease: (prefix: string, lane: Lane, conversationId: string) => `${prefix}:turns:${lane}:lease:${conversationId}`,
  leaseRegistry: (prefix: string, lane: Lane) => `${prefix}:turns:${lane}:leases`,
  rate: (prefix: string) => `${prefix}:rate`,
  /** Keys of the previous design (per-conversation lanes in Redis), removed at start-up. */
  legacyLanes: (prefix: string) => `${prefix}:lanes:`,
};
