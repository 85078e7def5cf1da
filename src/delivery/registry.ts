// Which chat platforms are running in this process. Delivery and status notices look platforms
// up here by the opaque platform id stored in mappings, threads and posts ("slack", "teams").
// A mapping to a platform that is not registered (e.g. Teams not configured) is skipped.

import type { ChatPlatform } from '../core/ports.js';
import type { PlatformId } from '../core/types.js';

export class ChatRegistry {
  private readonly platforms = new Map<PlatformId, ChatPlatform>();
  /** Platforms that show every number while no other platform runs (the web inbox), with their channel. */
  private readonly catchAlls = new Map<PlatformId, string>();

  /**
   * Registers a platform; a second platform under the same id replaces the first. `catchAll`
   * names the channel where it shows every number, mapped or not, while it is the only platform
   * running (the built-in web inbox when no Slack or Teams is configured).
   */
  register(platform: ChatPlatform, opts: { catchAll?: string } = {}): void {
    this.platforms.set(platform.id, platform);
    if (opts.catchAll !== undefined) this.catchAlls.set(platform.id, opts.catchAll);
    else this.catchAlls.delete(platform.id);
  }

  unregister(id: PlatformId): void {
    this.platforms.delete(id);
    this.catchAlls.delete(id);
  }

  /** The channel every number shows in now: a catch-all platform running alone; else null. */
  catchAll(): { platform: PlatformId; channel: string } | null {
    if (this.platforms.size !== 1) return null;
    const [id] = this.platforms.keys();
    const channel = id === undefined ? undefined : this.catchAlls.get(id);
    return id !== undefined && channel !== undefined ? { platform: id, channel } : null;
  }

  get(id: PlatformId): ChatPlatform | null {
    return this.platforms.get(id) ?? null;
  }

  has(id: PlatformId): boolean {
    return this.platforms.has(id);
  }

  list(): ChatPlatform[] {
    return [...this.platforms.values()];
  }
}
