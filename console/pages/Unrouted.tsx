// Unrouted: texts to numbers with no mapping (kept, never dropped), with who wrote and to which
// number, so the admin can map it (GET /admin/api/unrouted).
import { usePaged } from '../data';
import type { Message } from '../types';
import { Link } from '../router';
import { Loadable, More, PageHeader, Phone, Time } from '../ui';

export function Unrouted() {
  const list = usePaged<Message>('/admin/api/unrouted');
  return (
    <>
      <PageHeader title="Unrouted" />
      <p class="muted">
        Texts to numbers that are not mapped to any channel. <Link href="/admin/mappings">Map the number</Link> to route its next texts.
      </p>
      <Loadable {...list} what="" empty={list.items.length === 0} emptyText="Every text found its channel.">
        <ul class="cards">
          {list.items.map((m) => (
            <li class="card item" key={m.id}>
              <div class="item-main">
                <span>
                  <strong>
                    <Phone value={m.contact} />
                  </strong>{' '}
                  to <Phone value={m.number} /> · <Time iso={m.createdAt} />
                </span>
                <p class="body-text">{m.body || <span class="muted">(no text)</span>}</p>
                {m.media.length > 0 && <span class="muted">{m.media.length} picture(s)</span>}
              </div>
            </li>
          ))}
        </ul>
        <More {...list} />
      </Loadable>
    </>
  );
}
