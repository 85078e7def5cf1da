// What the Slack event and command handlers share.

import type { ChatServiceDeps } from '../../../src/chat/types.js';
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
  /** Event ids seen recently: a Slack retry (X-Slack-Retry-Num) has no second effect. */
  seenEvents: RecentIds;
}

/** A bounded set of recently seen ids (insertion order eviction). */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 5000) {}
  /** True when the id was new (and is now remembered). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
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
