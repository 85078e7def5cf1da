// What the Slack event and command handlers share.

import type { ChatServiceDeps } from '../../../src/chat/types.js';
import type { Locks } from '../../../src/core/coordination.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import type { SlackApi } from './api.js';
import type { SlackChatPlatform } from './platform.js';

export interface SlackHandlerDeps {
  chat: ChatServiceDeps;
  api: SlackApi;
  platform: SlackChatPlatform;
  logger: ChatLogger;
  /** Workspace id and bot user id from auth.test (start()). */
  identity: { teamId: string; botUserId: string | null; botId: string | null };
  userNames: UserNames;
  /** Event ids seen recently, by any instance: a Slack retry (X-Slack-Retry-Num) has no second effect. */
  seenEvents: SeenEvents;
}

export interface SeenEvents {
  /** True for the first sighting of `eventId` by any bridge instance (within the memory's span). */
  first(eventId: string): Promise<boolean>;
}

/**
 * Slack retries an event it got no timely answer for, and the retry may reach another instance
 * than the first copy: the memory of seen ids is a claim in the shared locks, kept as long as the
 * inbox keeps handled events (Slack retries within minutes).
 */
export function sharedSeenEvents(locks: Locks, keepMs: number): SeenEvents {
  return { first: (eventId) => locks.claimOnce(`slack:event:${eventId}`, keepMs) };
}

const USER_NAME_TTL_MS = 600_000;

/**
 * Display names of Slack users for "who sent it" marks; cached for 10 minutes. At most `max`
 * are kept (oldest lookup dropped first): a large workspace must not grow the cache with every
 * user who ever replied.
 */
export class UserNames {
  private readonly cache = new Map<string, { name: string | null; at: number }>();
  constructor(
    private readonly api: SlackApi,
    private readonly log: ChatLogger,
    private readonly max = 5000,
  ) {}

  /** Names held (tests). */
  get size(): number {
    return this.cache.size;
  }

  async get(userId: string): Promise<string | null> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < USER_NAME_TTL_MS) return hit.name;
    try {
      const info = await this.api.userInfo(userId);
      // Re-inserted, so the Map's order is the order of lookups and the first key the oldest.
      this.cache.delete(userId);
      this.cache.set(userId, { name: info.name, at: Date.now() });
      if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value!);
      return info.name;
    } catch (err) {
      this.log.warn({ userId, err: err instanceof Error ? err.message : String(err) }, 'slack users.info failed');
      return null;
    }
  }
}
