// Queue health: per queue how much waits, runs, is delayed or failed and how old the oldest
// pending job is (GET /admin/api/queues); below, work that failed for good with its contact,
// number and text (GET /admin/api/jobs/failed) and a Retry (POST /admin/api/jobs/{id}/retry).
// A send whose outcome is unknown is retried only after the admin confirms (force).
import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useApi } from '../data';
import { duration, phonesIn } from '../format';
import type { FailedJob, QueueHealth, QueuesReport } from '../types';
import { ErrorNote, Loadable, PageHeader, Phone, Time } from '../ui';

/** What each lane carries, as an admin reads it. */
const LANE_NAMES: Record<QueueHealth['queue'], string> = { send: 'Texts going out', deliver: 'Posts to chat' };

/** A count, or "unknown" when Redis could not be asked. */
const count = (n: number | null) => (n === null ? <span class="muted">unknown</span> : n);

export function Queues() {
  const queues = useApi<QueuesReport>('/admin/api/queues');
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

  const list = queues.data?.queues ?? [];
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
          {queues.data?.redis && (
            <p class="warn-text" role="status">
              {queues.data.redis}
            </p>
          )}
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Jobs per queue</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">Waiting</th>
                  <th scope="col" title="Chat replies holding their place while their pictures download">
                    Preparing
                  </th>
                  <th scope="col">Active</th>
                  <th scope="col">Delayed</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Oldest pending</th>
                </tr>
              </thead>
              <tbody>
                {list.map((q) => (
                  <tr key={q.queue}>
                    <th scope="row">
                      {LANE_NAMES[q.queue] ?? q.queue} <span class="muted">({q.queue})</span>
                    </th>
                    <td>{q.waiting}</td>
                    <td>{q.preparing}</td>
                    <td>{count(q.active)}</td>
                    <td>{count(q.delayed)}</td>
                    <td class={q.failed > 0 ? 'warn-text' : ''}>{q.failed}</td>
                    <td>{q.waiting + q.preparing > 0 ? duration(q.oldestPendingSeconds) : <span class="muted">none pending</span>}</td>
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
                    {phonesIn(j.failedReason)} ({j.attemptsMade === 1 ? '1 try' : `${j.attemptsMade} tries`})
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
