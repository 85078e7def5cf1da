// The web inbox: conversations (newest activity first, filtered by number and text) beside the
// open conversation as chat bubbles, with a composer (text and pictures) that sends through the
// bridge's outbound pipeline. New texts and status changes arrive live (events.ts).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { Bubble } from '../bubbles';
import { useApi, usePaged } from '../data';
import { useInterval, useLiveEvents, type LiveMode } from '../events';
import type { PageProps } from '../main';
import { Link, navigate } from '../router';
import type { Conversation, Message, NumberView } from '../types';
import { ErrorNote, Field, Loadable, More, NumberOptions, PageHeader, Phone, Time, Unavailable } from '../ui';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function LiveNote({ mode }: { mode: LiveMode }) {
  return (
    <span class={`live live-${mode}`} role="status">
      {mode === 'live' ? 'Live' : mode === 'connecting' ? 'Connecting…' : 'Refreshing every 10 s'}
    </span>
  );
}

function ConversationList({ selected, numbers, reloadKey }: { selected: string | null; numbers: NumberView[]; reloadKey: number }) {
  const [number, setNumber] = useState('');
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 300);
  const [everywhere, setEverywhere] = useState(false);
  const params = new URLSearchParams({ limit: '50' });
  if (number) params.set('number', number);
  params.set('order', 'activity');
  if (q) params.set('q', q);
  const list = usePaged<Conversation>(`/admin/api/conversations?${params.toString()}`);
  // The web inbox holds the conversations the bridge shows here (`web`); the others live in a
  // chat platform, listed only when asked for. (A bridge without the flag: all are shown.)
  const shown = everywhere ? list.items : list.items.filter((c) => c.web !== false);
  // Only a bridge with Slack or Teams on has conversations handled there: offer them only then.
  const someInChat = list.items.some((c) => c.web === false);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else list.reload();
  }, [reloadKey]);

  return (
    <section class="conv-list" aria-labelledby="conv-title">
      <h2 id="conv-title" class="sr-only">
        Conversations
      </h2>
      <div class="filters">
        <Field label="Number">
          <select name="number" value={number} onChange={(e) => setNumber(e.currentTarget.value)}>
            <option value="">All numbers</option>
            <NumberOptions numbers={numbers} />
          </select>
        </Field>
        <Field label="Search">
          <input name="q" type="search" placeholder="Number or text" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </Field>
      </div>
      {(someInChat || everywhere) && (
        <label class="check-field">
          <input type="checkbox" checked={everywhere} onChange={(e) => setEverywhere(e.currentTarget.checked)} />
          <span>Include conversations handled in Slack or Teams</span>
        </label>
      )}
      <Loadable {...list} what="" empty={shown.length === 0} emptyText="No conversations yet. Text a number from the dev phone, or start one.">
        <ul class="conversations">
          {shown.map((c) => (
            <li key={c.id}>
              <Link href={`/admin/inbox/${encodeURIComponent(c.id)}`} class={`conv${c.id === selected ? ' selected' : ''}`} aria-current={c.id === selected ? 'true' : undefined}>
                <span class="conv-top">
                  <strong>
                    <Phone value={c.contact} />
                  </strong>
                  <Time iso={c.lastActivityAt ?? c.lastMessage?.createdAt ?? c.createdAt} />
                </span>
                <span class="conv-sub">
                  <span class="muted">
                    to <Phone value={c.number} />
                  </span>
                  {(c.unread ?? 0) > 0 && (
                    <span class="unread" aria-label={`${c.unread} unread`}>
                      {c.unread}
                    </span>
                  )}
                </span>
                {c.web === false && <span class="muted">Handled in chat</span>}
                {c.lastMessage && (
                  <span class="preview">
                    {c.lastMessage.direction === 'outbound' ? 'You: ' : c.lastMessage.direction === 'internal' ? 'Note: ' : ''}
                    {c.lastMessage.body || '(picture)'}
                  </span>
                )}
              </Link>
            </li>
          ))}
        </ul>
        <More {...list} />
      </Loadable>
    </section>
  );
}

/** The latest page of messages, older pages put on top, live ones merged in by id. */
function useThread(id: string) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [older, setOlder] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const merge = (incoming: Message[]) =>
    setMessages((old) => {
      const byId = new Map(old.map((m) => [m.id, m]));
      for (const m of incoming) byId.set(m.id, { ...byId.get(m.id), ...m });
      return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    });
  const refresh = async (first = false) => {
    const r = await api<Message[]>('GET', `/admin/api/conversations/${encodeURIComponent(id)}/messages?limit=50`);
    setLoading(false);
    if (!r.ok) return setError(r.error);
    setError(null);
    if (first) setOlder(r.next);
    merge(r.data);
  };
  useEffect(() => {
    setMessages([]);
    setLoading(true);
    void refresh(true);
  }, [id]);
  const loadOlder = async () => {
    if (!older) return;
    const r = await api<Message[]>('GET', older);
    if (!r.ok) return setError(r.error);
    setOlder(r.next);
    merge(r.data);
  };
  return { messages, error, loading, hasOlder: older !== null, loadOlder, refresh, merge };
}

function Composer({ conversationId, onSent }: { conversationId: string; onSent: (m: Message) => void }) {
  const [text, setText] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const previews = files.map((f) => URL.createObjectURL(f));
  useEffect(() => () => previews.forEach((u) => URL.revokeObjectURL(u)), [files]);

  const send = async (e?: Event) => {
    e?.preventDefault();
    if (!text.trim() && files.length === 0) return;
    setBusy(true);
    let body: unknown;
    if (files.length > 0) {
      const form = new FormData();
      form.set('text', text);
      for (const f of files) form.append('files', f, f.name);
      body = form;
    } else body = { text };
    const r = await api<{ message: Message }>('POST', `/admin/api/conversations/${encodeURIComponent(conversationId)}/messages`, { body });
    setBusy(false);
    if (r.ok) {
      setText('');
      setFiles([]);
      if (fileInput.current) fileInput.current.value = '';
      setError(null);
      if (r.data?.message) onSent(r.data.message);
    } else setError(r.unavailable ? { ...r.error, message: 'Replying from the console is not available on this bridge yet.' } : r.error);
  };

  return (
    <form class="composer" onSubmit={send} aria-label="Reply">
      <ErrorNote error={error} />
      {files.length > 0 && (
        <ul class="previews" aria-label="Pictures to send">
          {files.map((f, i) => (
            <li key={f.name + i}>
              <img src={previews[i]} alt={f.name} />
              <button type="button" class="link" onClick={() => setFiles(files.filter((_, j) => j !== i))} aria-label={`Remove ${f.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <label class="sr-only" for="reply-text">
          Reply text (start with // for an internal note; Ctrl+Enter sends)
        </label>
        <textarea
          id="reply-text"
          name="text"
          rows={2}
          placeholder="Reply (// for a note)"
          title="Ctrl+Enter sends. A text starting with // is an internal note, never sent."
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send();
          }}
        />
        <label class="button file-button">
          Pictures
          <input ref={fileInput} type="file" accept="image/*" multiple class="sr-only" onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {text.trim().startsWith('//') ? 'Add note' : 'Send'}
        </button>
      </div>
    </form>
  );
}

function Thread({ id, onActivity }: { id: string; onActivity: () => void }) {
  const conv = useApi<Conversation>(`/admin/api/conversations/${encodeURIComponent(id)}`);
  const thread = useThread(id);
  const end = useRef<HTMLLIElement>(null);
  // Read clears the unread count in the list too.
  const markRead = () => void api('POST', `/admin/api/conversations/${encodeURIComponent(id)}/read`).then((r) => r.ok && onActivity());
  useEffect(markRead, [id]);
  const mode = useLiveEvents((e) => {
    if (e.conversationId !== id) return;
    thread.merge([e.message]);
    if (e.type === 'message') markRead();
  });
  useInterval(() => void thread.refresh(), mode === 'polling' ? 10_000 : null);
  const last = thread.messages[thread.messages.length - 1]?.id;
  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [last]);

  const c = conv.data;
  return (
    <section class="thread" aria-labelledby="thread-title">
      <div class="thread-head">
        <Link href="/admin/inbox" class="back">
          ← Conversations
        </Link>
        <h2 id="thread-title">{c ? <Phone value={c.contact} /> : 'Conversation'}</h2>
        {c && (
          <span class="muted">
            via <Phone value={c.number} />
          </span>
        )}
      </div>
      <ErrorNote error={conv.error ?? thread.error} />
      <ol class="bubbles" aria-label="Messages">
        {thread.hasOlder && (
          <li class="older">
            <button type="button" onClick={thread.loadOlder}>
              Older messages
            </button>
          </li>
        )}
        {!thread.loading && thread.messages.length === 0 && <li class="muted">No messages yet.</li>}
        {thread.messages.map((m) => (
          <Bubble key={m.id} m={m} />
        ))}
        <li ref={end} class="end" aria-hidden="true" />
      </ol>
      <Composer
        conversationId={id}
        onSent={(m) => {
          thread.merge([m]);
          onActivity();
        }}
      />
    </section>
  );
}

function NewConversation({ numbers, onClose }: { numbers: NumberView[]; onClose: () => void }) {
  const [number, setNumber] = useState(numbers[0]?.number ?? '');
  const [contact, setContact] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await api<{ conversation: Conversation }>('POST', '/admin/api/conversations', { body: { number, contact, text } });
    if (r.ok) {
      onClose();
      navigate(`/admin/inbox/${encodeURIComponent(r.data.conversation.id)}`);
    } else {
      setError(r.error);
      setUnavailable(r.unavailable);
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="new-conv-title">
      <h2 id="new-conv-title">New conversation</h2>
      <Field label="From number">
        <select name="number" required value={number} onChange={(e) => setNumber(e.currentTarget.value)}>
          <NumberOptions numbers={numbers} />
        </select>
      </Field>
      <Field label="To (contact's number)">
        <input name="contact" inputMode="tel" autoComplete="off" required value={contact} onInput={(e) => setContact(e.currentTarget.value)} />
      </Field>
      <Field label="Message">
        <textarea name="text" rows={3} required value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </Field>
      <div class="row">
        <button type="submit" class="primary">
          Send
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
      {unavailable ? <Unavailable what="Starting a conversation from the console needs the web inbox API." /> : <ErrorNote error={error} />}
    </form>
  );
}

export function Inbox({ rest }: PageProps) {
  const selected = rest[0] ? decodeURIComponent(rest[0]) : null;
  const numbers = useApi<NumberView[]>('/admin/api/numbers');
  const [starting, setStarting] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);
  const bump = () => setReloadKey((k) => k + 1);
  // The list follows activity in every conversation: a new text moves its conversation up.
  const mode = useLiveEvents(() => bump());
  useInterval(bump, mode === 'polling' ? 10_000 : null);

  return (
    <>
      <PageHeader title="Inbox">
        <LiveNote mode={mode} />
        <button type="button" class="primary" onClick={() => setStarting(!starting)} aria-expanded={starting}>
          New conversation
        </button>
      </PageHeader>
      {starting && <NewConversation numbers={numbers.data ?? []} onClose={() => setStarting(false)} />}
      <div class={`inbox${selected ? ' has-selection' : ''}`}>
        <ConversationList selected={selected} numbers={numbers.data ?? []} reloadKey={reloadKey} />
        {selected ? (
          <Thread key={selected} id={selected} onActivity={bump} />
        ) : (
          <section class="thread empty-thread" aria-label="Conversation">
            <p class="muted">Pick a conversation.</p>
          </section>
        )}
      </div>
    </>
  );
}
