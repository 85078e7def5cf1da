// People: chat users with their rights (may they text, are they bridge admins), from
// GET /admin/api/users; each right is a switch (PUT /admin/api/users/{platform}/{userId}).
import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useApi } from '../data';
import type { UserPolicy } from '../types';
import { ErrorNote, Field, Loadable, PageHeader, Time } from '../ui';

export function People() {
  const users = useApi<UserPolicy[]>('/admin/api/users');
  const [errors, setErrors] = useState<Record<string, ApiError>>({});
  const [platform, setPlatform] = useState('slack');
  const [userId, setUserId] = useState('');
  const [addError, setAddError] = useState<ApiError | null>(null);

  const put = async (u: { platform: string; userId: string }, patch: Partial<Pick<UserPolicy, 'smsEnabled' | 'admin'>>) => {
    const key = `${u.platform}:${u.userId}`;
    const r = await api('PUT', `/admin/api/users/${encodeURIComponent(u.platform)}/${encodeURIComponent(u.userId)}`, { body: patch });
    if (r.ok) {
      const { [key]: _gone, ...rest } = errors;
      setErrors(rest);
      users.reload();
    } else setErrors({ ...errors, [key]: r.error });
    return r.ok ? null : r.error;
  };

  return (
    <>
      <PageHeader title="People" />
      <p class="muted">Who may text contacts from chat, and who is a bridge admin. People not listed follow the defaults (they may text).</p>
      <form
        class="card form-grid"
        aria-labelledby="person-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setAddError(await put({ platform, userId: userId.trim() }, { smsEnabled: false }));
        }}
      >
        <h2 id="person-title">Stop someone from texting</h2>
        <Field label="Platform">
          <select name="platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value)}>
            <option value="slack">Slack</option>
            <option value="teams">Microsoft Teams</option>
          </select>
        </Field>
        <Field label="User id" hint="Slack: U0123ABCD. Teams: the user's AAD object id.">
          <input name="userId" required value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
        </Field>
        <div class="row">
          <button type="submit">Stop texting</button>
        </div>
        <ErrorNote error={addError} />
      </form>
      <Loadable {...users} what="" empty={!users.data?.length} emptyText="Nobody has rights set yet.">
        <ul class="cards">
          {users.data?.map((u) => {
            const key = `${u.platform}:${u.userId}`;
            return (
              <li class="card item" key={key}>
                <div class="item-main">
                  <strong>{u.name ?? u.userId}</strong>
                  <span class="muted">
                    {u.platform} · {u.userId} · changed <Time iso={u.updatedAt} />
                  </span>
                </div>
                <div class="item-actions">
                  <label class="check-field">
                    <input type="checkbox" checked={u.smsEnabled} onChange={(e) => put(u, { smsEnabled: e.currentTarget.checked })} />
                    <span>May text</span>
                  </label>
                  <label class="check-field">
                    <input type="checkbox" checked={u.admin} onChange={(e) => put(u, { admin: e.currentTarget.checked })} />
                    <span>Bridge admin</span>
                  </label>
                </div>
                <ErrorNote error={errors[key]} />
              </li>
            );
          })}
        </ul>
      </Loadable>
    </>
  );
}
