// Queue health: per queue how much waits, runs, is delayed or failed and how old the oldest
// pending job is (GET /admin/api/queues); below, work that failed for good with its contact,
// number and text (GET /admin/api/jobs/failed) and a Retry (POST /admin/api/jobs/{id}/retry).
// A send whose outcome is unknown is retried only after the admin confirms (force).
import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useApi } from '../data';
import { duration } from '../format';
import type { FailedJob, QueueHealth } from '../types';
import { ErrorNote, Loadable, PageHeader, Phone, Time } from '../ui';

/** The queues as a list, whether the API answers an array, {queues: [...]} or {name: counts}. */
function asList(data: unknown): QueueHealth[] {
  if (Array.isArray(data)) return data as QueueHealth[];
  if (data && typeof data === 'object') {
    const q = (data as { queues?: unknown }).queues;
    if (Array.isArray(q)) return q as QueueHealth[];
    return Object.entries(data as Record<string, Omit<QueueHealth, 'name'>>).map(([name, v]) => ({ ...v, name }));
  }
  return [];
}

export function Queues() {
  const queues = useApi<unknown>('/admin/api/queues');
  const failed = useApi<{ jobs: FailedJob[] }>('/admin/api/jobs/failed');
  const failedJobs = failed.data?.jobs ?? [];
  const [notes, setNotes] = useState<Record<string, { error?: ApiError; ok?: string }>>({});

  const retry = async (job: FailedJob, force = false) => {
    const r = await api<{ warning?: string; note?: string }>('POST', `/admin/api/jobs/${encodeURIComponent(job.id)}/retry`, { body: force ? { force: true } : {} });
    if (!r.ok && r.error.reason === 'outcome_unknown' && !force) {
      if (confirm(`${r.error.message}\n\nThe previous send may have reached the contact. Send again anyway?`)) return retry(job, true);
      setNotes({ ...notes, [job.id]: { ok: 'Retry cancelled: nothing was sent.' } });
      return;
    }
    setNotes({ ...notes, [job.id]: r.ok ? { ok: r.data.warning ?? r.data.note ?? 'Queued again.' } : { error: r.error } });
    if (r.ok) {
      failed.reload();
      queues.reload();
    }
  };

  const list = asList(queues.data);
  return (
    <>
      <PageHeader title="Queue health">
        <button type="button" onClick={() => (queues.reload(), failed.reload())}>
          Refresh
        </button>
      </PageHeader>
      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        <Loadable {...queues} what="Queue counts need the newer admin API (GET /admin/api/queues)." empty={list.length === 0} emptyText="No queues reported.">
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Jobs per queue</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Active</th>
                  <th scope="col">Delayed</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Oldest pending</th>
                </tr>
              </thead>
              <tbody>
                {list.map((q) => (
                  <tr key={q.name}>
                    <th scope="row">{q.name}</th>
                    <td>{q.waiting}</td>
                    <td>{q.active}</td>
                    <td>{q.delayed}</td>
                    <td class={q.failed > 0 ? 'warn-text' : ''}>{q.failed}</td>
                    <td>{duration(q.oldestPendingAgeSeconds ?? q.oldestPendingSeconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Loadable>
      </section>
      <section aria-labelledby="failed-title">
        <h2 id="failed-title">Failed work</h2>
        <Loadable {...failed} what="" empty={failedJobs.length === 0} emptyText="Nothing failed.">
          <ul class="cards">
            {failedJobs.map((j) => (
              <li class="card item" key={j.id}>
                <div class="item-main">
                  <span>
                    <strong>{j.queue === 'send' ? 'Text to contact' : 'Post to chat'}</strong> · <Phone value={j.number} /> ↔ <Phone value={j.contact} /> · failed <Time iso={j.failedAt} />
                  </span>
                  {j.text !== null && <p class="body-text">{j.text || <span class="muted">(no text)</span>}</p>}
                  <p class="warn-text">
                    {j.failedReason} ({j.attemptsMade} tries)
                  </p>
                </div>
                <div class="item-actions">
                  <button type="button" onClick={() => retry(j)} aria-label={`Retry ${j.id}`}>
                    Retry
                  </button>
                </div>
                {notes[j.id]?.ok && (
                  <p class="ok" role="status">
                    {notes[j.id]?.ok}
                  </p>
                )}
                <ErrorNote error={notes[j.id]?.error} />
              </li>
            ))}
          </ul>
        </Loadable>
      </section>
    </>
  );
}
