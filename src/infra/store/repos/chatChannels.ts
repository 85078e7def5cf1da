// Chat channels the bot has been installed in. Teams needs the stored conversation reference
// (serviceUrl, conversation id, tenant) to post proactively; admins pick channels from this list.
// Removal is soft: the row stays, and a re-install revives it.
import type { PlatformId } from '../../../core/types.js';
import { parseJson, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

export interface ChatChannel {
  platform: PlatformId;
  channel: string;
  name: string | null;
  /** Platform-specific reference (Teams ConversationReference), opaque to everyone else. */
  reference: unknown;
  installedAt: string;
  removedAt: string | null;
}

export interface ChatChannelRepo {
  /** Insert or update (name/reference); a removed channel is installed again. */
  upsert(input: { platform: PlatformId; channel: string; name?: string | null; reference?: unknown }): Promise<ChatChannel>;
  /** Also returns a removed channel (see `removedAt`). */
  get(platform: PlatformId, channel: string): Promise<ChatChannel | null>;
  /** Installed channels only, unless includeRemoved. */
  list(filter?: { platform?: PlatformId; includeRemoved?: boolean }): Promise<ChatChannel[]>;
  markRemoved(platform: PlatformId, channel: string): Promise<boolean>;
}

interface ChannelRow {
  platform: string;
  channel: string;
  name: string | null;
  reference: string | null;
  installed_at: string;
  removed_at: string | null;
}

function toChannel(r: ChannelRow): ChatChannel {
  return {
    platform: r.platform,
    channel: r.channel,
    name: r.name,
    reference: parseJson(r.reference),
    installedAt: r.installed_at,
    removedAt: r.removed_at,
  };
}

export function createChatChannelRepo({ db, now }: RepoContext): Sync<ChatChannelRepo> {
  // name/reference change only when the caller passes them (undefined keeps the stored value, an
  // explicit null clears it): install events do not always carry both.
  const upsert = db.prepare<
    { platform: string; channel: string; name: string | null; reference: string | null; setName: number; setRef: number; now: string },
    ChannelRow
  >(`
    INSERT INTO chat_channels (platform, channel, name, reference, installed_at)
    VALUES (@platform, @channel, @name, @reference, @now)
    ON CONFLICT (platform, channel) DO UPDATE SET
      name = CASE WHEN @setName = 1 THEN excluded.name ELSE name END,
      reference = CASE WHEN @setRef = 1 THEN excluded.reference ELSE reference END,
      installed_at = CASE WHEN removed_at IS NULL THEN installed_at ELSE excluded.installed_at END,
      removed_at = NULL
    RETURNING *`);
  const get = db.prepare<[string, string], ChannelRow>(
    'SELECT * FROM chat_channels WHERE platform = ? AND channel = ?',
  );
  const list = db.prepare<{ platform: string | null; includeRemoved: number }, ChannelRow>(`
    SELECT * FROM chat_channels
    WHERE (@platform IS NULL OR platform = @platform) AND (@includeRemoved = 1 OR removed_at IS NULL)
    ORDER BY platform, installed_at, channel`);
  const markRemoved = db.prepare(
    'UPDATE chat_channels SET removed_at = @now WHERE platform = @platform AND channel = @channel AND removed_at IS NULL',
  );

  return {
    upsert(input) {
      const row = upsert.get({
        platform: input.platform,
        channel: input.channel,
        name: input.name ?? null,
        reference: input.reference === undefined || input.reference === null ? null : JSON.stringify(input.reference),
        setName: input.name === undefined ? 0 : 1,
        setRef: input.reference === undefined ? 0 : 1,
        now: now(),
      });
      if (!row) throw new Error(`chat channel ${input.platform}/${input.channel} upsert returned nothing`);
      return toChannel(row);
    },
    get(platform, channel) {
      const row = get.get(platform, channel);
      return row ? toChannel(row) : null;
    },
    list(filter = {}) {
      return list.all({ platform: filter.platform ?? null, includeRemoved: filter.includeRemoved ? 1 : 0 }).map(toChannel);
    },
    markRemoved: (platform, channel) => markRemoved.run({ platform, channel, now: now() }).changes > 0,
  };
}
