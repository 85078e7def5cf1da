// Audit log: who changed what, newest first (GET /admin/api/audit?limit=), each entry as a
// sentence with the fields that changed, wrapped to the screen.
import { useState } from 'preact/hooks';
import { useApi } from '../data';
import { phone } from '../format';
import type { AuditEntry } from '../types';
import { Loadable, More, PageHeader, Time } from '../ui';

const ACTIONS: Record<string, string> = {
  'number.create': 'added number',
  'number.update': 'changed number',
  'number.delete': 'deleted number',
  'mapping.create': 'mapped',
  'mapping.delete': 'removed mapping',
  'policy.update': 'changed the policy',
  'user.update': 'changed rights of',
  'message.requeue': 'resent message',
  'message.handoff': 'handed on message',
};

/** A target as a person reads it: numbers formatted, mappings as "number → channel". */
function target(e: AuditEntry): string {
  const obj = (e.after ?? e.before) as Record<string, unknown> | null;
  if (e.action.startsWith('mapping.') && obj && typeof obj.number === 'string') return `${phone(obj.number)} → ${String(obj.platform)} ${String(obj.channel)}`;
  if (e.action.startsWith('user.')) return e.target.replace(':', ' user ');
  if (e.target === 'policy') return '';
  if (/^\+\d{6,15}$/.test(e.target)) return phone(e.target);
  return e.target;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return /^\+\d{6,15}$/.test(v) ? phone(v) : v;
  return JSON.stringify(v);
}

/** The fields that differ between before and after (one level; nested groups shown as JSON). */
function diff(before: unknown, after: unknown): { field: string; from: string; to: string }[] {
  const b = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  if (!before || !after) return [];
  const skip = new Set(['updatedAt', 'createdAt', 'id']);
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => !skip.has(k) && JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ field: k, from: show(b[k]), to: show(a[k]) }));
}

export function Audit() {
  const [limit, setLimit] = useState(100);
  const log = useApi<AuditEntry[]>(`/admin/api/audit?limit=${limit}`);
  const entries = log.data ?? [];
  return (
    <>
      <PageHeader title="Audit log" />
      <Loadable {...log} what="" empty={entries.length === 0} emptyText="No changes yet.">
        <ol class="cards audit">
          {entries.map((e) => {
            const changes = diff(e.before, e.after);
            return (
              <li class="card item" key={e.id}>
                <div class="item-main">
                  <span>
                    <strong>{e.actor}</strong> {ACTIONS[e.action] ?? e.action} <span class="target">{target(e)}</span>
                  </span>
                  <span class="muted">
                    <Time iso={e.at} /> · {e.action}
                  </span>
                  {changes.length > 0 && (
                    <ul class="changes">
                      {changes.map((c) => (
                        <li key={c.field}>
                          <code>{c.field}</code>: {c.from} → {c.to}
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              </li>
            );
          })}
        </ol>
        <More hasMore={entries.length >= limit && limit < 1000} loading={log.loading} more={() => setLimit(Math.min(1000, limit + 100))} />
      </Loadable>
    </>
  );
}
