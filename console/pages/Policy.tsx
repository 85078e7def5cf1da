// Policy: a form over GET/PUT /admin/api/policy. Only the fields the admin changed are sent (the
// others keep following the bridge's defaults), with If-Match, so a save never undoes another
// admin's change unseen: that is refused (412) and the form offers to reload.
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useApi } from '../data';
import type { Policy as PolicyDoc } from '../types';
import { ErrorNote, Field, Loadable, PageHeader } from '../ui';

type Draft = {
  smsEnabled: boolean;
  maxSegments: string;
  internalNotePrefix: string;
  tollFreeSmsCapable: boolean;
  virtualSmsCapable: boolean;
  maxFiles: string;
  maxTotalMb: string;
  allowedTypes: string;
  local: string;
  tollFree: string;
  fallbackOn: boolean;
  fallbackPlatform: string;
  fallbackChannel: string;
};

function draftOf(p: PolicyDoc): Draft {
  return {
    smsEnabled: p.smsEnabled,
    maxSegments: String(p.maxSegments),
    internalNotePrefix: p.internalNotePrefix,
    tollFreeSmsCapable: p.tollFreeSmsCapable,
    virtualSmsCapable: p.virtualSmsCapable,
    maxFiles: String(p.mms.maxFiles),
    maxTotalMb: String(Math.round((p.mms.maxTotalBytes / 1024 / 1024) * 100) / 100),
    allowedTypes: p.mms.allowedTypes.join(', '),
    local: String(p.throughput.local),
    tollFree: String(p.throughput.tollFree),
    fallbackOn: p.fallback !== null,
    fallbackPlatform: p.fallback?.platform ?? 'slack',
    fallbackChannel: p.fallback?.channel ?? '',
  };
}

/** The fields that differ from what was loaded, as the PUT body. */
function changes(p: PolicyDoc, d: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const num = (s: string) => (s.trim() === '' ? NaN : Number(s));
  if (d.smsEnabled !== p.smsEnabled) out.smsEnabled = d.smsEnabled;
  if (num(d.maxSegments) !== p.maxSegments) out.maxSegments = num(d.maxSegments);
  if (d.internalNotePrefix !== p.internalNotePrefix) out.internalNotePrefix = d.internalNotePrefix;
  if (d.tollFreeSmsCapable !== p.tollFreeSmsCapable) out.tollFreeSmsCapable = d.tollFreeSmsCapable;
  if (d.virtualSmsCapable !== p.virtualSmsCapable) out.virtualSmsCapable = d.virtualSmsCapable;
  const mms: Record<string, unknown> = {};
  if (num(d.maxFiles) !== p.mms.maxFiles) mms.maxFiles = num(d.maxFiles);
  const bytes = Math.round(num(d.maxTotalMb) * 1024 * 1024);
  if (draftOf(p).maxTotalMb !== d.maxTotalMb) mms.maxTotalBytes = bytes;
  const types = d.allowedTypes.split(/[\s,]+/).filter(Boolean);
  if (types.join(',') !== p.mms.allowedTypes.join(',')) mms.allowedTypes = types;
  if (Object.keys(mms).length) out.mms = mms;
  const tp: Record<string, unknown> = {};
  if (num(d.local) !== p.throughput.local) tp.local = num(d.local);
  if (num(d.tollFree) !== p.throughput.tollFree) tp.tollFree = num(d.tollFree);
  if (Object.keys(tp).length) out.throughput = tp;
  const fallback = d.fallbackOn ? { platform: d.fallbackPlatform, channel: d.fallbackChannel.trim() } : null;
  if (JSON.stringify(fallback) !== JSON.stringify(p.fallback)) out.fallback = fallback;
  return out;
}

function Check({ label, hint, checked, onChange }: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label class="check-field">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span>
        {label}
        {hint && <span class="hint">{hint}</span>}
      </span>
    </label>
  );
}

export function Policy() {
  const loaded = useApi<PolicyDoc>('/admin/api/policy');
  const [base, setBase] = useState<{ policy: PolicyDoc; etag: string | null } | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [stale, setStale] = useState(false);

  useEffect(() => {
    if (loaded.data) {
      setBase({ policy: loaded.data, etag: loaded.etag });
      setDraft(draftOf(loaded.data));
      setStale(false);
    }
  }, [loaded.data, loaded.etag]);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setSaved(null);
    setDraft((d) => (d ? { ...d, [k]: v } : d));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!base || !draft) return;
    const body = changes(base.policy, draft);
    if (Object.keys(body).length === 0) {
      setSaved('Nothing to save: the policy is as shown.');
      return;
    }
    const r = await api<PolicyDoc>('PUT', '/admin/api/policy', { body, headers: base.etag ? { 'if-match': base.etag } : {} });
    if (r.ok) {
      setError(null);
      setBase({ policy: r.data, etag: r.etag });
      setDraft(draftOf(r.data));
      setSaved('Policy saved.');
    } else {
      setError(r.error);
      setStale(r.status === 412);
    }
  };

  const text = (k: keyof Draft, props: Record<string, unknown> = {}) => (
    <input name={k} value={String(draft?.[k] ?? '')} onInput={(e) => set(k, e.currentTarget.value as never)} {...props} />
  );

  return (
    <>
      <PageHeader title="Policy" />
      <Loadable {...loaded} what="" empty={!draft}>
        {draft && (
          <form class="policy" onSubmit={submit}>
            <fieldset class="card">
              <legend>Texting</legend>
              <Check label="SMS on" hint="Off: every reply is refused with the reason; texts still come in." checked={draft.smsEnabled} onChange={(v) => set('smsEnabled', v)} />
              <Field label="Most segments per reply" hint="A longer reply is refused, not split into many texts.">
                {text('maxSegments', { type: 'number', min: 1, max: 100, required: true })}
              </Field>
              <Field label="Internal note prefix" hint="A chat message starting with this is kept as a note and never sent.">
                {text('internalNotePrefix', { maxLength: 16, required: true })}
              </Field>
              <Check label="Toll-free numbers may text" hint="Only once the numbers are verified for SMS." checked={draft.tollFreeSmsCapable} onChange={(v) => set('tollFreeSmsCapable', v)} />
              <Check label="Virtual numbers may text" checked={draft.virtualSmsCapable} onChange={(v) => set('virtualSmsCapable', v)} />
            </fieldset>
            <fieldset class="card">
              <legend>Pictures (MMS)</legend>
              <Field label="Most pictures per message">{text('maxFiles', { type: 'number', min: 0, max: 100, required: true })}</Field>
              <Field label="Most size per message (MB)">{text('maxTotalMb', { type: 'number', min: 0, max: 100, step: 'any', required: true })}</Field>
              <Field label="Allowed media types" hint="Separated by commas, e.g. image/jpeg, image/png.">
                <textarea name="allowedTypes" rows={3} value={draft.allowedTypes} onInput={(e) => set('allowedTypes', e.currentTarget.value)} />
              </Field>
            </fieldset>
            <fieldset class="card">
              <legend>Throughput (segments per second)</legend>
              <Field label="Local numbers">{text('local', { type: 'number', min: 0.01, max: 1000, step: 'any', required: true })}</Field>
              <Field label="Toll-free numbers">{text('tollFree', { type: 'number', min: 0.01, max: 1000, step: 'any', required: true })}</Field>
            </fieldset>
            <fieldset class="card">
              <legend>Texts to unmapped numbers</legend>
              <Check label="Post them to a fallback channel" checked={draft.fallbackOn} onChange={(v) => set('fallbackOn', v)} />
              {draft.fallbackOn && (
                <>
                  <Field label="Fallback platform">
                    <select name="fallbackPlatform" value={draft.fallbackPlatform} onChange={(e) => set('fallbackPlatform', e.currentTarget.value)}>
                      <option value="slack">Slack</option>
                      <option value="teams">Microsoft Teams</option>
                      <option value="web">Web inbox</option>
                    </select>
                  </Field>
                  <Field label="Fallback channel id">{text('fallbackChannel', { required: true })}</Field>
                </>
              )}
            </fieldset>
            <div class="row sticky-actions">
              <button type="submit" class="primary">
                Save policy
              </button>
              <button type="button" onClick={() => base && (setDraft(draftOf(base.policy)), setSaved(null), setError(null))}>
                Undo my changes
              </button>
              {stale && (
                <button type="button" onClick={() => (setError(null), loaded.reload())}>
                  Reload the policy
                </button>
              )}
              {saved && (
                <span class="ok" role="status">
                  {saved}
                </span>
              )}
            </div>
            <ErrorNote error={error} />
          </form>
        )}
      </Loadable>
    </>
  );
}
