// History search: every message ever kept, by text, number, contact and direction
// (GET /admin/api/messages), newest first; a hit opens its conversation in the inbox, and a
// conversation exports as CSV (GET /admin/api/conversations/{id}/export?format=csv).
import { useState } from 'preact/hooks';
import { useApi } from '../data';
import { Link } from '../router';
import type { Message } from '../types';
import { Field, Loadable, PageHeader, Phone, StatusBadge, Time } from '../ui';

export function History() {
  const [form, setForm] = useState({ q: '', number: '', contact: '', direction: '' });
  const [query, setQuery] = useState<string | null>(null);
  const hits = useApi<Message[]>(query);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <>
      <PageHeader title="History search" />
      <form
        class="card form-grid"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(`/admin/api/messages?${new URLSearchParams({ ...form, limit: '200' }).toString()}`);
        }}
      >
        <Field label="Text">
          <input name="q" type="search" value={form.q} onInput={set('q')} />
        </Field>
        <Field label="Bridge number">
          <input name="number" inputMode="tel" value={form.number} onInput={set('number')} />
        </Field>
        <Field label="Contact">
          <input name="contact" inputMode="tel" value={form.contact} onInput={set('contact')} />
        </Field>
        <Field label="Direction">
          <select name="direction" value={form.direction} onChange={set('direction')}>
            <option value="">Any</option>
            <option value="inbound">From contacts</option>
            <option value="outbound">Replies</option>
            <option value="internal">Internal notes</option>
          </select>
        </Field>
        <div class="row">
          <button type="submit" class="primary">
            Search
          </button>
        </div>
      </form>
      {query === null && <p class="muted">Find any text sent or received, by words in it, the bridge number or the contact (any format).</p>}
      {query !== null && (
        <Loadable {...hits} what="" empty={!hits.data?.length} emptyText="No message matches.">
          <p class="muted" role="status">
            {hits.data?.length === 1 ? '1 message' : `${hits.data?.length} messages`} found{hits.data?.length === 200 ? ' (the newest 200)' : ''}.
          </p>
          <ul class="cards">
            {hits.data?.map((m) => (
              <li class="card item" key={m.id}>
                <div class="item-main">
                  <span>
                    <strong>{m.direction === 'inbound' ? 'From' : m.direction === 'internal' ? 'Note about' : 'To'}</strong> <Phone value={m.contact} /> via <Phone value={m.number} /> · <Time iso={m.createdAt} /> <StatusBadge status={m.direction === 'outbound' ? m.status : null} />
                  </span>
                  <p class="body-text">{m.body || <span class="muted">(no text)</span>}</p>
                </div>
                <div class="item-actions">
                  <Link href={`/admin/inbox/${encodeURIComponent(m.conversationId)}`}>Open conversation</Link>
                  <a href={`/admin/api/conversations/${encodeURIComponent(m.conversationId)}/export?format=csv`} download>
                    Export CSV
                  </a>
                </div>
              </li>
            ))}
          </ul>
        </Loadable>
      )}
    </>
  );
}
