// Which chat platforms are running in this process. Delivery and status notices look platforms
// up here by the opaque platform id stored in mappings, threads and posts ("slack", "teams").
// A mapping to a platform that is not registered (e.g. Teams not configured) is skipped.

import type { ChatPlatform } from '../core/ports.js';
import type { PlatformId } from '../core/types.js';

export class ChatRegistry {
  private readonly platforms = new Map<PlatformId, ChatPlatform>();

  /** Registers a platform; a second platform under the same id replaces the first. */
  register(platform: ChatPlatform): void {
    this.platforms.set(platform.id, platform);
  }

  unregister(id: PlatformId): void {
    this.platforms.delete(id);
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
