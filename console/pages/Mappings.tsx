// Mappings: which chat channel a number's texts go to. The channel is picked from the channels
// the bridge knows (GET /admin/api/channels: Slack, Teams, the web inbox); a refused mapping (a
// Slack channel name instead of an id, a platform that is off) shows the bridge's reason.
import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useApi } from '../data';
import { phone } from '../format';
import type { Channel, Mapping, NumberView } from '../types';
import { ErrorNote, Field, Loadable, NumberOptions, PageHeader, Phone, Time } from '../ui';

const PLATFORM_NAMES: Record<string, string> = { slack: 'Slack', teams: 'Microsoft Teams', web: 'Web inbox' };

function channelLabel(c: Channel): string {
  return c.platform === 'web' ? 'Web inbox' : `${c.name || c.id}${c.kind ? ` (${c.kind})` : ''}`;
}

export function Mappings() {
  const mappings = useApi<Mapping[]>('/admin/api/mappings');
  const numbers = useApi<NumberView[]>('/admin/api/numbers');
  const channels = useApi<Channel[]>('/admin/api/channels');
  const [number, setNumber] = useState('');
  const [picked, setPicked] = useState('');
  const [platform, setPlatform] = useState('slack');
  const [channelId, setChannelId] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [rowErrors, setRowErrors] = useState<Record<string, ApiError>>({});

  // The select shows the first number until one is picked; the form sends what it shows.
  const chosenNumber = number || numbers.data?.[0]?.number || '';
  const known = channels.data ?? [];
  const byPlatform = new Map<string, Channel[]>();
  for (const c of known) byPlatform.set(c.platform, [...(byPlatform.get(c.platform) ?? []), c]);
  const nameOf = (m: Mapping) => {
    const c = known.find((x) => x.platform === m.platform && x.id === m.channel);
    return c ? channelLabel(c) : m.channel;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    let target: { platform: string; channel: string };
    if (channels.data) {
      const [p = '', ...id] = picked.split('|');
      target = { platform: p, channel: id.join('|') };
    } else target = { platform, channel: channelId };
    const r = await api<Mapping>('POST', '/admin/api/mappings', { body: { number: chosenNumber, ...target } });
    if (r.ok) {
      setError(null);
      mappings.reload();
    } else setError(r.error);
  };

  const remove = async (m: Mapping) => {
    if (!confirm(`Stop sending texts to ${phone(m.number)} into ${nameOf(m)}?`)) return;
    const r = await api('DELETE', `/admin/api/mappings/${encodeURIComponent(m.id)}`);
    if (r.ok) mappings.reload();
    else setRowErrors({ ...rowErrors, [m.id]: r.error });
  };

  return (
    <>
      <PageHeader title="Mappings" />
      <form class="card form-grid" onSubmit={submit} aria-labelledby="map-title">
        <h2 id="map-title">Send a number's texts to a channel</h2>
        <Field label="Number">
          <select name="number" required value={chosenNumber} onChange={(e) => setNumber(e.currentTarget.value)}>
            <NumberOptions numbers={numbers.data ?? []} />
          </select>
        </Field>
        {channels.data ? (
          <Field label="Channel" hint="The channels the bridge can post to.">
            <select name="channel" required value={picked} onChange={(e) => setPicked(e.currentTarget.value)}>
              <option value="">Choose a channel…</option>
              {[...byPlatform.entries()].map(([p, list]) => (
                <optgroup key={p} label={PLATFORM_NAMES[p] ?? p}>
                  {list.map((c) => (
                    <option key={c.id} value={`${c.platform}|${c.id}`}>
                      {channelLabel(c)}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </Field>
        ) : (
          <>
            <Field label="Platform">
              <select name="platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value)}>
                <option value="slack">Slack</option>
                <option value="teams">Microsoft Teams</option>
                <option value="web">Web inbox</option>
              </select>
            </Field>
            <Field label="Channel id" hint="Slack: C0123ABCD (not the #name). Teams: 19:…@thread.tacv2. Web inbox: inbox.">
              <input name="channel" required value={channelId} onInput={(e) => setChannelId(e.currentTarget.value)} />
            </Field>
            {channels.unavailable ? <p class="muted">The list of channels is not available on this bridge yet; type the channel id.</p> : <ErrorNote error={channels.error} />}
          </>
        )}
        <div class="row">
          <button type="submit" class="primary" disabled={!numbers.data?.length}>
            Map
          </button>
          {!numbers.data?.length && !numbers.loading && <span class="muted">Add a number first.</span>}
        </div>
        <ErrorNote error={error} />
      </form>
      <section aria-labelledby="mappings-title">
        <h2 id="mappings-title">Mappings</h2>
        <Loadable {...mappings} what="" empty={!mappings.data?.length} emptyText="No mappings yet.">
          <ul class="cards">
            {mappings.data?.map((m) => (
              <li class="card item" key={m.id}>
                <div class="item-main">
                  <strong>
                    <Phone value={m.number} />
                  </strong>
                  <span>
                    → {m.platform === 'web' ? 'Web inbox' : `${PLATFORM_NAMES[m.platform] ?? m.platform}: ${nameOf(m)}`}
                  </span>
                  <span class="muted">
                    since <Time iso={m.createdAt} />
                  </span>
                </div>
                <div class="item-actions">
                  <button type="button" class="danger" onClick={() => remove(m)} aria-label={`Remove the mapping of ${phone(m.number)} to ${nameOf(m)}`}>
                    Remove
                  </button>
                </div>
                <ErrorNote error={rowErrors[m.id]} />
              </li>
            ))}
          </ul>
        </Loadable>
      </section>
    </>
  );
}
