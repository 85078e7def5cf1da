// Numbers: add one (checked live as it is typed: POST /admin/api/numbers/check says whether and
// why it cannot carry SMS), list them with that verdict, delete one.
import { useEffect, useState } from 'preact/hooks';
import { api, reasonText, type ApiError } from '../api';
import { useApi } from '../data';
import { phone } from '../format';
import type { NumberCheck, NumberView } from '../types';
import { ErrorNote, Field, Loadable, PageHeader, Phone } from '../ui';

function useNumberCheck(number: string, provider: string, type: string) {
  const [check, setCheck] = useState<{ result: NumberCheck | null; error: ApiError | null; unavailable: boolean }>({ result: null, error: null, unavailable: false });
  useEffect(() => {
    if (number.replace(/\D/g, '').length < 4) {
      setCheck((c) => ({ ...c, result: null, error: null }));
      return;
    }
    let live = true;
    const t = setTimeout(async () => {
      const r = await api<NumberCheck>('POST', '/admin/api/numbers/check', { body: { number, provider, ...(type ? { type } : {}) } });
      if (!live) return;
      setCheck(r.ok ? { result: r.data, error: null, unavailable: false } : { result: null, error: r.error, unavailable: r.unavailable });
    }, 300);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [number, provider, type]);
  return check;
}

function AddNumber({ onAdded }: { onAdded: () => void }) {
  const [number, setNumber] = useState('');
  const [provider, setProvider] = useState('local');
  const [type, setType] = useState('');
  const [status, setStatus] = useState('active');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const check = useNumberCheck(number, provider, type);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const r = await api<NumberView>('POST', '/admin/api/numbers', { body: { number, provider, status, ...(type ? { type } : {}) } });
    setBusy(false);
    if (r.ok) {
      setError(null);
      setNumber('');
      onAdded();
    } else setError(r.error);
  };

  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="add-number-title">
      <h2 id="add-number-title">Add a number</h2>
      <Field label="Phone number" hint="Any common format, e.g. (415) 555-2671 or +1 415 555 2671.">
        <input name="number" inputMode="tel" autoComplete="off" required value={number} onInput={(e) => setNumber(e.currentTarget.value)} aria-describedby="number-check" />
      </Field>
      <Field label="Provider">
        <select name="provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
          <option value="local">Local (dev phone)</option>
          <option value="twilio">Twilio</option>
          <option value="8x8">8x8</option>
        </select>
      </Field>
      <Field label="Type">
        <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="">Detect</option>
          <option value="local">Local</option>
          <option value="toll-free">Toll-free</option>
          <option value="virtual">Virtual</option>
        </select>
      </Field>
      <Field label="Status">
        <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="active">Active</option>
          <option value="porting">Porting</option>
        </select>
      </Field>
      <div id="number-check" class="check" aria-live="polite">
        {check.unavailable && <p class="muted">Live checking is not available on this bridge yet; the bridge checks the number when you add it.</p>}
        {check.error && !check.unavailable && <p class="error">{check.error.message}</p>}
        {check.result &&
          (check.result.smsCapable ? (
            <p class="ok">
              {check.result.display || check.result.e164} ({check.result.type}) can carry SMS.
            </p>
          ) : (
            <div class="warn">
              <p>
                {check.result.display || check.result.e164} ({check.result.type}) cannot carry SMS:
              </p>
              <ul>
                {check.result.reasons.map((r) => (
                  <li key={reasonText(r)}>{reasonText(r)}</li>
                ))}
              </ul>
            </div>
          ))}
      </div>
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Add number
        </button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

/** Providers as the add form names them. */
const PROVIDER_NAMES: Record<string, string> = { local: 'Local (dev phone)', twilio: 'Twilio', '8x8': '8x8' };

export function Numbers() {
  const list = useApi<NumberView[]>('/admin/api/numbers');
  const [errors, setErrors] = useState<Record<string, ApiError>>({});

  const remove = async (n: NumberView) => {
    if (!confirm(`Delete ${phone(n.number)}? Its mappings stop routing texts.`)) return;
    const r = await api('DELETE', `/admin/api/numbers/${encodeURIComponent(n.number)}`);
    if (r.ok) list.reload();
    else setErrors({ ...errors, [n.number]: r.error });
  };

  return (
    <>
      <PageHeader title="Numbers" />
      <AddNumber onAdded={list.reload} />
      <section aria-labelledby="numbers-title">
        <h2 id="numbers-title">Numbers on this bridge</h2>
        <Loadable {...list} what="" empty={!list.data?.length} emptyText="No numbers yet: add one above.">
          <ul class="cards">
            {list.data?.map((n) => (
              <li class="card item" key={n.number}>
                <div class="item-main">
                  <strong>
                    <Phone value={n.number} />
                  </strong>
                  <span class="muted">
                    {PROVIDER_NAMES[n.provider] ?? n.provider} · {n.type === 'toll-free' ? 'toll-free' : `${n.type} number`} · {n.status}
                  </span>
                  {n.smsCapable ? (
                    <span class="ok">Can carry SMS</span>
                  ) : (
                    <div class="warn">
                      Cannot carry SMS:
                      <ul>
                        {n.reasons.map((r) => (
                          <li key={r.code}>{reasonText(r)}</li>
                        ))}
                      </ul>
                    </div>
                  )}
                </div>
                <div class="item-actions">
                  <button type="button" class="danger" onClick={() => remove(n)} aria-label={`Delete ${phone(n.number)}`}>
                    Delete
                  </button>
                </div>
                <ErrorNote error={errors[n.number]} />
              </li>
            ))}
          </ul>
        </Loadable>
      </section>
    </>
  );
}
