// Chat channels the bot has been installed in. Teams needs the stored conversation reference
// (serviceUrl, conversation id, tenant) to post proactively; admins pick channels from this list.
// Removal is soft: the row stays, and a re-install revives it.
import type { PlatformId } from '../../../core/types.js';
import { parseJson, type DbContext } from '../shared.js';

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

export function createChatChannelRepo({ db, now }: DbContext): ChatChannelRepo {
  // name/reference change only when the caller passes them (undefined keeps the stored value, an
  // explicit null clears it): install events do not always carry both. The stored row's columns
  // are qualified: unqualified they are ambiguous with `excluded` on Postgres.
  const UPSERT = `
    INSERT INTO chat_channels (platform, channel, name, reference, installed_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (platform, channel) DO UPDATE SET
      name = CASE WHEN CAST(? AS INTEGER) = 1 THEN excluded.name ELSE chat_channels.name END,
      reference = CASE WHEN CAST(? AS INTEGER) = 1 THEN excluded.reference ELSE chat_channels.reference END,
      installed_at = CASE WHEN chat_channels.removed_at IS NULL THEN chat_channels.installed_at ELSE excluded.installed_at END,
      removed_at = NULL
    RETURNING *`;
  const GET = 'SELECT * FROM chat_channels WHERE platform = ? AND channel = ?';
  const LIST = `
    SELECT * FROM chat_channels
    WHERE (CAST(? AS TEXT) IS NULL OR platform = ?) AND (CAST(? AS INTEGER) = 1 OR removed_at IS NULL)
    ORDER BY platform, installed_at, channel`;
  const MARK_REMOVED = 'UPDATE chat_channels SET removed_at = ? WHERE platform = ? AND channel = ? AND removed_at IS NULL';

  return {
    async upsert(input) {
      const row = await db.get<ChannelRow>(UPSERT, [
        input.platform,
        input.channel,
        input.name ?? null,
        input.reference === undefined || input.reference === null ? null : JSON.stringify(input.reference),
        now(),
        input.name === undefined ? 0 : 1,
        input.reference === undefined ? 0 : 1,
      ]);
      if (!row) throw new Error(`chat channel ${input.platform}/${input.channel} upsert returned nothing`);
      return toChannel(row);
    },
    async get(platform, channel) {
      const row = await db.get<ChannelRow>(GET, [platform, channel]);
      return row ? toChannel(row) : null;
    },
    async list(filter = {}) {
      const platform = filter.platform ?? null;
      return (await db.all<ChannelRow>(LIST, [platform, platform, filter.includeRemoved ? 1 : 0])).map(toChannel);
    },
    markRemoved: async (platform, channel) => (await db.run(MARK_REMOVED, [now(), platform, channel])).changes > 0,
  };
}
