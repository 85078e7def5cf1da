// The channels numbers can be mapped to, per chat platform, for the console's mapping picker
// (GET /admin/api/channels) and for the checks on a new mapping (a Slack channel name typed
// instead of its id is answered with the id). Each platform that can list its channels registers
// a ChannelSource here when it is built (src/wiring.ts); the admin API only reads the directory,
// so it never imports a platform.
//
// One directory per bridge, found from its AppContext (like the admin guard): the admin routes
// are built from the context alone, after the modules registered their sources.

import type { PlatformId } from '../core/types.js';

/** One channel a number can be mapped to. */
export interface ChannelListing {
  platform: PlatformId;
  /** What a mapping's `channel` must be (Slack C0123ABC, Teams 19:...@thread.tacv2, web inbox). */
  id: string;
  /** As people know it (Slack without the #). */
  name: string;
  /** "public" | "private" (Slack), "channel" (Teams), "inbox" (web). */
  kind: string;
  /** The team a Teams channel belongs to; absent elsewhere. */
  team?: string | null;
}

export interface ChannelSource {
  readonly platform: PlatformId;
  /**
   * Every channel the bridge could post in. `fresh` skips a cache the source may keep. Rejects
   * (with a message that says what to do) when the platform refuses to list them.
   */
  listChannels(opts?: { fresh?: boolean }): Promise<ChannelListing[]>;
}

export class ChannelDirectory {
  private readonly sources = new Map<PlatformId, ChannelSource>();

  register(source: ChannelSource): void {
    this.sources.set(source.platform, source);
  }

  get(platform: PlatformId): ChannelSource | null {
    return this.sources.get(platform) ?? null;
  }

  list(): ChannelSource[] {
    return [...this.sources.values()];
  }
}

const directories = new WeakMap<object, ChannelDirectory>();

/** The directory of the bridge this context belongs to (made on first use). */
export function channelDirectory(ctx: object): ChannelDirectory {
  let found = directories.get(ctx);
  if (!found) {
    found = new ChannelDirectory();
    directories.set(ctx, found);
  }
  return found;
}

/** The web inbox's one channel (the web platform itself is built in; it is always listed). */
export const WEB_INBOX: ChannelListing = { platform: 'web', id: 'inbox', name: 'Web inbox', kind: 'inbox' };
