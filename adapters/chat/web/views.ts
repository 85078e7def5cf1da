// How the web inbox shows a message: the admin API's message view plus what a console needs to
// draw it as a chat bubble: media links an <img> can load (signed, no bearer token needed), the
// notices other platforms show with it (keyword meanings, group sends, files not kept). `author`
// is there, as in the admin API's view, only for messages written by a person (chat, console).
import { messageView } from '../../../src/admin/conversations.js';
import type { Message } from '../../../src/core/types.js';
import { noticesFor } from '../../../src/delivery/deliverMessage.js';
import type { MediaUrlSigner } from '../../../src/media/signedUrls.js';

/** How long a media link handed to the console works (a console reloads long before). */
export const INBOX_MEDIA_TTL_SECONDS = 24 * 3600;

/** At most this many characters of the last message in the conversation list. */
export const PREVIEW_CHARS = 140;

export function inboxMessageView(m: Message, signer: MediaUrlSigner) {
  return {
    ...messageView(m),
    media: m.media.map((x) => ({
      id: x.id,
      contentType: x.contentType,
      size: x.size,
      status: x.status,
      reason: x.reason,
      url: x.status === 'stored' ? signer.sign(x.id, INBOX_MEDIA_TTL_SECONDS) : null,
    })),
    notices: noticesFor(m),
  };
}

export type InboxMessageView = ReturnType<typeof inboxMessageView>;

/** The last message as the conversation list shows it. */
export function lastMessagePreview(m: Message) {
  const chars = [...m.body];
  const body = chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…` : m.body;
  return { id: m.id, direction: m.direction, body, status: m.status, createdAt: m.createdAt, media: m.media.length };
}
