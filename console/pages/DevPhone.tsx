// The dev phone: plays a contact's phone against a bridge number of the local provider. Pick the
// number and any contact number, text it (with pictures), and see the thread as the phone shows
// it, with each reply's delivery state (GET /admin/api/dev/phone); STOP, START and HELP are
// texts like any other (POST /admin/api/dev/inbound).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, dataUrl, type ApiError } from '../api';
import { MediaList } from '../bubbles';
import { useApi } from '../data';
import { useInterval, useLiveEvents } from '../events';
import { phone } from '../format';
import type { DevPhoneThread, NumberView } from '../types';
import { ErrorNote, Field, NumberOptions, PageHeader, StatusBadge, Time, Unavailable } from '../ui';

// Outside 555-0100..0199: the bridge refuses to reply to those fictional numbers.
const DEFAULT_CONTACT = '+14155553434';

export function DevPhone() {
  const numbers = useApi<NumberView[]>('/admin/api/numbers');
  const local = (numbers.data ?? []).filter((n) => n.provider === 'local');
  const [number, setNumber] = useState('');
  const [contact, setContact] = useState(phone(DEFAULT_CONTACT));
  const [text, setText] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const bridgeNumber = number || local[0]?.number || '';

  const threadPath = bridgeNumber && contact.trim() ? `/admin/api/dev/phone?${new URLSearchParams({ number: bridgeNumber, contact: contact.trim() }).toString()}` : null;
  const thread = useApi<DevPhoneThread>(threadPath);
  const mode = useLiveEvents(() => thread.reload());
  // Delivery states change without an event from the phone's side: poll while open.
  useInterval(thread.reload, threadPath && !thread.unavailable ? (mode === 'live' ? 5_000 : 3_000) : null);
  const end = useRef<HTMLLIElement>(null);
  const count = thread.data?.messages.length ?? 0;
  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [count]);

  const send = async (body: string) => {
    if (!body.trim() && files.length === 0) return;
    setBusy(true);
    const media = await Promise.all(files.map(async (f) => ({ dataUrl: await dataUrl(f) })));
    const r = await api('POST', '/admin/api/dev/inbound', { body: { from: contact.trim(), to: bridgeNumber, body, ...(media.length ? { media } : {}) } });
    setBusy(false);
    if (r.ok) {
      setError(null);
      setText('');
      setFiles([]);
      if (fileInput.current) fileInput.current.value = '';
      thread.reload();
    } else setError(r.unavailable ? { ...r.error, message: 'The dev phone needs the local SMS provider, which this bridge does not run.' } : r.error);
  };

  return (
    <>
      <PageHeader title="Dev phone" />
      <p class="muted">Play a contact texting one of your local numbers: what you send here arrives at the bridge as a real text would.</p>
      <div class="filters">
        <Field label="Bridge number">
          <select name="number" value={bridgeNumber} onChange={(e) => setNumber(e.currentTarget.value)}>
            {local.length === 0 && <option value="">No local numbers</option>}
            <NumberOptions numbers={local} />
          </select>
        </Field>
        <Field label="Contact number (the phone)">
          <input name="contact" inputMode="tel" value={contact} onInput={(e) => setContact(e.currentTarget.value)} onBlur={(e) => setContact(phone(e.currentTarget.value.trim()) || e.currentTarget.value)} />
        </Field>
      </div>
      {!numbers.loading && local.length === 0 && <p class="notice">Add a number with the provider “Local (dev phone)” on the Numbers page to use the dev phone.</p>}
      <div class="phone-frame" aria-label={`Phone of ${phone(contact) || 'the contact'}`} role="region">
        <div class="phone-head">
          <strong>{phone(bridgeNumber) || '—'}</strong>
          <span class="muted">seen from {phone(contact)}</span>
        </div>
        {thread.unavailable ? (
          <Unavailable what="The phone's view of the thread needs the dev phone API; texts you send still reach the bridge." />
        ) : (
          <ol class="bubbles phone-bubbles" aria-label="Messages on the phone">
            {thread.error && (
              <li>
                <ErrorNote error={thread.error} />
              </li>
            )}
            {thread.data?.messages.length === 0 && <li class="muted">No messages with this number yet.</li>}
            {thread.data?.messages.map((m) => (
              // On the phone, the contact's own texts are the "out" side.
              <li key={m.id} class={`bubble ${m.from === 'contact' ? 'out' : 'in'}`}>
                {m.body && <p class="body-text">{m.body}</p>}
                <MediaList media={m.media} />
                <span class="meta">
                  <Time iso={m.at} /> {m.from === 'bridge' && <StatusBadge status={m.status} />}
                </span>
              </li>
            ))}
            <li ref={end} class="end" aria-hidden="true" />
          </ol>
        )}
        <form
          class="composer"
          aria-label="Text from the phone"
          onSubmit={(e) => {
            e.preventDefault();
            void send(text);
          }}
        >
          <ErrorNote error={error} />
          <div class="keywords" role="group" aria-label="Keywords">
            {['STOP', 'START', 'HELP'].map((k) => (
              <button key={k} type="button" onClick={() => send(k)} disabled={busy || !bridgeNumber}>
                {k}
              </button>
            ))}
          </div>
          {files.length > 0 && <p class="muted">{files.map((f) => f.name).join(', ')}</p>}
          <div class="composer-row">
            <label class="sr-only" for="phone-text">
              Text message
            </label>
            <textarea id="phone-text" name="text" rows={2} placeholder="Text message" value={text} onInput={(e) => setText(e.currentTarget.value)} />
            <label class="button file-button">
              Pictures
              <input ref={fileInput} type="file" accept="image/*" multiple class="sr-only" onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} />
            </label>
            <button type="submit" class="primary" disabled={busy || !bridgeNumber}>
              Send
            </button>
          </div>
        </form>
      </div>
    </>
  );
}
