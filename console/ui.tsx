// Small shared pieces: formatted numbers and times, errors next to the action that caused them,
// the "not available on this bridge" state, labelled fields, "Load more".
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { reasonText, type ApiError } from './api';
import { absolute, phone, phonesIn, relative } from './format';

/** One <option> per bridge number, shown formatted, valued in E.164 (the number pickers). */
export function NumberOptions({ numbers }: { numbers: ReadonlyArray<{ number: string }> }) {
  return (
    <>
      {numbers.map((n) => (
        <option key={n.number} value={n.number}>
          {phone(n.number)}
        </option>
      ))}
    </>
  );
}

export function Phone({ value }: { value: string | null | undefined }) {
  if (!value) return <span class="muted">—</span>;
  return (
    <span class="phone" title={value}>
      {phone(value)}
    </span>
  );
}

/** "2 min ago", kept fresh, with the exact time in the browser's zone on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  const [, setNow] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={absolute(iso)}>
      {relative(iso)}
    </time>
  );
}

export function ErrorNote({ error }: { error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <p>{phonesIn(error.message)}</p>
      {error.reasons && error.reasons.some((r) => reasonText(r) !== error.message) && (
        <ul>
          {error.reasons.map((r) => (
            <li key={r.code + reasonText(r)}>{phonesIn(reasonText(r))}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Unavailable({ what }: { what: string }) {
  return (
    <div class="unavailable" role="status">
      <strong>Not available on this bridge yet.</strong> {what}
    </div>
  );
}

/** The usual states of something loaded: unavailable, error, loading, else the content. */
export function Loadable(props: { loading: boolean; error: ApiError | null; unavailable: boolean; what: string; empty?: boolean; emptyText?: string; children: ComponentChildren }) {
  if (props.unavailable) return <Unavailable what={props.what} />;
  if (props.error) return <ErrorNote error={props.error} />;
  if (props.loading && props.empty) return <p class="muted" role="status">Loading…</p>;
  if (props.empty) return <p class="muted">{props.emptyText ?? 'Nothing here yet.'}</p>;
  return <>{props.children}</>;
}

export function More({ hasMore, loading, more, label = 'Load more' }: { hasMore: boolean; loading: boolean; more: () => void; label?: string }) {
  if (!hasMore) return null;
  return (
    <button type="button" class="more" onClick={more} disabled={loading}>
      {loading ? 'Loading…' : label}
    </button>
  );
}

export function Field({ label, hint, children }: { label: string; hint?: ComponentChildren; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="label">{label}</span>
      {children}
      {hint && <span class="hint">{hint}</span>}
    </label>
  );
}

export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return null;
  return <span class={`badge status-${status}`}>{status}</span>;
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · sms-bridge`;
  }, [title]);
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children && <div class="actions">{children}</div>}
    </div>
  );
}
