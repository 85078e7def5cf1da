// A conversation drawn as a phone draws it: the contact's texts on one side, replies on the
// other with their delivery state, internal notes as notes, refusals with their reasons.
import type { Message } from './types';
import { phonesIn } from './format';
import { authorName } from './types';
import { StatusBadge, Time } from './ui';

/**
 * A bridge media link (PUBLIC_URL/media/<id>?exp&sig) as a path on this origin: the console is
 * served by the bridge itself, and its CSP (img-src 'self') refuses pictures from any other
 * origin, e.g. when PUBLIC_URL names the public host and the admin opened the console by another.
 */
export function ownOrigin(url: string): string {
  try {
    const u = new URL(url, location.href);
    return u.pathname.startsWith('/media/') ? `${u.pathname}${u.search}` : url;
  } catch {
    return url;
  }
}

export function MediaList({ media }: { media: { url?: string; contentType: string | null; reason?: string | null; status?: string }[] }) {
  if (media.length === 0) return null;
  return (
    <div class="media">
      {media.map((m, i) =>
        m.url && (m.contentType ?? '').startsWith('image/') ? (
          <a key={i} href={ownOrigin(m.url)} target="_blank" rel="noopener">
            <img src={ownOrigin(m.url)} alt={`Picture ${i + 1}`} loading="lazy" />
          </a>
        ) : m.url ? (
          <a key={i} href={ownOrigin(m.url)} target="_blank" rel="noopener">
            Attachment {i + 1} ({m.contentType ?? 'file'})
          </a>
        ) : (
          <span key={i} class="muted">
            Attachment {i + 1} ({m.contentType ?? 'file'}){m.reason ? `: ${m.reason}` : ''}
          </span>
        ),
      )}
    </div>
  );
}

export function Bubble({ m }: { m: Message }) {
  const who = authorName(m.author);
  if (m.direction === 'internal') {
    return (
      <li class="note">
        <span class="note-label">Internal note{who ? ` by ${who}` : ''} · never sent</span>
        <p class="body-text">{m.body}</p>
        <Time iso={m.createdAt} />
      </li>
    );
  }
  const out = m.direction === 'outbound';
  const refused = m.status === 'refused' || m.status === 'failed' || m.status === 'undelivered';
  return (
    <li class={`bubble ${out ? 'out' : 'in'}${refused ? ' refused' : ''}`}>
      {m.body && <p class="body-text">{m.body}</p>}
      <MediaList media={m.media} />
      <span class="meta">
        {out && who ? `${who} · ` : ''}
        <Time iso={m.createdAt} />
        {out && <StatusBadge status={m.status} />}
      </span>
      {out && m.statusReason && <span class="reason">{phonesIn(m.statusReason)}</span>}
      {(m.notices ?? []).length > 0 && (
        <ul class="notices" aria-label="Notices">
          {(m.notices ?? []).map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </li>
  );
}
