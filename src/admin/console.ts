// The admin console: one small HTML page and its script. The page holds no data; the script
// asks the admin API with the token the admin types in (kept in sessionStorage only), and
// renders everything with textContent, so nothing a contact texts can inject markup.

import { Router } from 'express';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sms-bridge admin</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem; color: #222; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
  th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f4f4f4; }
  form { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin: .5rem 0; }
  input, select, button { font: inherit; padding: .2rem .4rem; }
  .no { color: #a00; } .yes { color: #070; } .muted { color: #777; }
  #status { min-height: 1.4em; } #status.error { color: #a00; }
  pre { background: #f7f7f7; padding: .5rem; overflow: auto; }
</style>
</head>
<body>
<h1>sms-bridge admin</h1>
<form id="login">
  <label>Admin token <input id="token" type="password" autocomplete="off" size="40" required></label>
  <button type="submit">Load</button>
  <button type="button" id="forget">Forget token</button>
</form>
<div id="status" role="status"></div>

<h2>Numbers</h2>
<form id="add-number">
  <input name="number" placeholder="+1 415 555 2671" required>
  <select name="provider"><option>twilio</option><option>8x8</option><option>local</option></select>
  <select name="type"><option value="">type: auto</option><option>local</option><option>toll-free</option><option>virtual</option></select>
  <select name="status"><option>active</option><option>porting</option></select>
  <button type="submit">Add number</button>
</form>
<table><thead><tr><th>Number</th><th>Provider</th><th>Type</th><th>Status</th><th>SMS</th><th></th></tr></thead><tbody id="numbers"></tbody></table>

<h2>Mappings</h2>
<form id="add-mapping">
  <input name="number" placeholder="number" required>
  <select name="platform"><option>slack</option><option>teams</option></select>
  <input name="channel" placeholder="channel id" required>
  <button type="submit">Map</button>
</form>
<table><thead><tr><th>Number</th><th>Platform</th><th>Channel</th><th>Since</th><th></th></tr></thead><tbody id="mappings"></tbody></table>

<h2>Conversations</h2>
<form id="find-conversations">
  <input name="number" placeholder="our number (optional)">
  <input name="contact" placeholder="contact (optional)">
  <button type="submit">Search</button>
</form>
<table><thead><tr><th>Number</th><th>Contact</th><th>Threads</th><th>Since</th><th></th></tr></thead><tbody id="conversations"></tbody></table>
<p><button type="button" id="conversations-more" hidden>More conversations</button></p>
<div id="messages"></div>

<h2>History</h2>
<form id="search-history">
  <input name="q" placeholder="text contains">
  <input name="number" placeholder="our number (optional)">
  <input name="contact" placeholder="contact (optional)">
  <select name="direction"><option value="">any direction</option><option>inbound</option><option>outbound</option><option>internal</option></select>
  <button type="submit">Search</button>
</form>
<table><thead><tr><th>When</th><th>Number</th><th>Contact</th><th>Direction</th><th>Body</th><th>Status</th><th></th></tr></thead><tbody id="history"></tbody></table>

<h2>Policy</h2>
<form id="edit-policy">
  <p class="muted">The bridge-wide rules, as JSON. Change what you need and save: the bridge checks every field and says which one it refuses. A field left out keeps its value; to remove the fallback channel, set "fallback": null.</p>
  <textarea name="policy" id="policy" rows="16" cols="80" spellcheck="false"></textarea>
  <div><button type="submit">Save policy</button> <button type="button" id="reload-policy">Reload policy</button></div>
</form>

<h2>People</h2>
<form id="set-user">
  <select name="platform"><option>slack</option><option>teams</option></select>
  <input name="userId" placeholder="user id (Slack U..., Teams object id)" required>
  <select name="smsEnabled"><option value="">SMS: unchanged</option><option value="true">may text</option><option value="false">may not text</option></select>
  <select name="admin"><option value="">admin: unchanged</option><option value="true">admin</option><option value="false">not admin</option></select>
  <button type="submit">Set</button>
</form>
<table><thead><tr><th>Platform</th><th>User</th><th>May text</th><th>Admin</th><th>Changed</th></tr></thead><tbody id="users"></tbody></table>

<h2>Audit log</h2>
<p class="muted">Every change made through the admin API or this console, newest first.</p>
<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Before</th><th>After</th></tr></thead><tbody id="audit"></tbody></table>

<h2>Failed jobs</h2>
<p class="muted">Texts that could not be sent and chat posts that gave up. Resend sends a text again after the messages before it in its conversation (the rules are checked again); a text that may have reached the contact already asks first.</p>
<table><thead><tr><th>Failed</th><th>Queue</th><th>Message</th><th>Why</th><th>Attempts</th><th></th></tr></thead><tbody id="failed-jobs"></tbody></table>

<h2>Unrouted messages</h2>
<p class="muted">Inbound messages no chat shows: their number is not mapped, or every mapped channel refused them.</p>
<table><thead><tr><th>When</th><th>Bridge number</th><th>From</th><th>Body</th><th>Status</th><th>Why</th></tr></thead><tbody id="unrouted"></tbody></table>

<script src="/admin/console.js"></script>
</body>
</html>
`;

const SCRIPT = String.raw`'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = 'smsb-admin-token';
  let token = sessionStorage.getItem(KEY) || '';
  $('token').value = token;

  function say(text, isError) {
    $('status').textContent = text;
    $('status').className = isError ? 'error' : '';
  }

  async function api(method, path, body) {
    return (await call(method, path, body)).data;
  }

  // GET of a paged list: its items and the path of the next page (the Link rel="next" header,
  // relative to /admin/api), or null on the last page.
  async function apiPage(path) {
    const { data, res } = await call('GET', path);
    const link = /^<\/admin\/api([^>]+)>; rel="next"$/.exec(res.headers.get('link') || '');
    return { items: data, next: link ? link[1] : null };
  }

  async function call(method, path, body, headers) {
    const res = await fetch('/admin/api' + path, {
      method,
      headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}, headers || {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status === 204) return { data: null, res };
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const msg = data && data.error ? data.error.message : res.status + ' ' + res.statusText;
      const err = new Error(res.status === 401 ? 'Unauthorized: check the token.' : msg);
      // The refusal's code (e.g. outcome_unknown), for callers that can offer a way on.
      err.reason = data && data.error ? data.error.reason : undefined;
      throw err;
    }
    return { data, res };
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function button(row, label, onClick) {
    const td = document.createElement('td');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', onClick);
    td.appendChild(b);
    row.appendChild(td);
  }

  function fill(id, items, render, empty) {
    const body = $(id);
    body.replaceChildren();
    if (items.length === 0) {
      const tr = document.createElement('tr');
      const td = cell(tr, empty, 'muted');
      td.colSpan = 7;
      body.appendChild(tr);
      return;
    }
    for (const item of items) {
      const tr = document.createElement('tr');
      render(tr, item);
      body.appendChild(tr);
    }
  }

  async function guarded(fn) {
    try {
      await fn();
    } catch (err) {
      say(err.message, true);
    }
  }

  async function loadNumbers() {
    const numbers = await api('GET', '/numbers');
    fill('numbers', numbers, (tr, n) => {
      cell(tr, n.number);
      cell(tr, n.provider);
      cell(tr, n.type);
      cell(tr, n.status);
      cell(tr, n.smsCapable ? 'yes' : 'no: ' + n.reasons.map((r) => r.reason).join(' '), n.smsCapable ? 'yes' : 'no');
      button(tr, 'Delete', () => guarded(async () => {
        if (!confirm('Delete ' + n.number + ' and its mappings?')) return;
        await api('DELETE', '/numbers/' + encodeURIComponent(n.number));
        await Promise.all([loadNumbers(), loadMappings(), loadAudit(), loadUnrouted()]);
        say('Deleted ' + n.number);
      }));
    }, 'No numbers yet.');
  }

  async function loadMappings() {
    const mappings = await api('GET', '/mappings');
    fill('mappings', mappings, (tr, m) => {
      cell(tr, m.number);
      cell(tr, m.platform);
      cell(tr, m.channel);
      cell(tr, m.createdAt);
      button(tr, 'Unmap', () => guarded(async () => {
        await api('DELETE', '/mappings/' + encodeURIComponent(m.id));
        await Promise.all([loadMappings(), loadAudit(), loadUnrouted()]);
        say('Unmapped ' + m.number + ' from ' + m.channel);
      }));
    }, 'No mappings yet.');
  }

  function conversationRow(tr, c) {
    cell(tr, c.number);
    cell(tr, c.contact);
    cell(tr, c.threads.map((t) => t.platform + ' ' + t.channel).join(', '));
    cell(tr, c.createdAt);
    button(tr, 'Messages', () => guarded(() => loadMessages(c)));
  }

  // The list comes a page at a time (oldest first); "More conversations" appends the next page.
  // Each search starts a new listing: a page of an older one that arrives late is dropped.
  let listing = 0;
  async function loadConversations(query) {
    const mine = ++listing;
    $('conversations-more').hidden = true;
    const page = await apiPage('/conversations' + (query ? '?' + query : ''));
    if (mine !== listing) return;
    fill('conversations', page.items, conversationRow, 'No conversations.');
    offerMore(page.next, mine);
  }

  function offerMore(next, mine) {
    const more = $('conversations-more');
    more.hidden = next === null;
    more.disabled = false;
    more.onclick = next === null ? null : () => guarded(async () => {
      more.disabled = true; // one click, one page
      try {
        const page = await apiPage(next);
        if (mine !== listing) return;
        for (const c of page.items) {
          const tr = document.createElement('tr');
          conversationRow(tr, c);
          $('conversations').appendChild(tr);
        }
        offerMore(page.next, mine);
      } finally {
        if (mine === listing) more.disabled = false;
      }
    });
  }

  // The export needs the token in a header, so it is fetched and handed to the browser as a file.
  async function exportConversation(c, format) {
    const res = await fetch('/admin/api/conversations/' + encodeURIComponent(c.id) + '/export?format=' + format, {
      headers: { authorization: 'Bearer ' + token },
    });
    if (!res.ok) throw new Error(res.status === 401 ? 'Unauthorized: check the token.' : 'Export failed: ' + res.status);
    const disposition = res.headers.get('content-disposition') || '';
    const match = /filename="([^"]+)"/.exec(disposition);
    const blob = await res.blob();
    // One link at a time: the file of the previous export is let go.
    const previous = $('export-link');
    if (previous) {
      URL.revokeObjectURL(previous.href);
      previous.remove();
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = match ? match[1] : 'conversation.' + format;
    link.id = 'export-link';
    $('messages').appendChild(link);
    link.click();
    say('Exported ' + link.download);
  }

  function messageRow(m) {
    const tr = document.createElement('tr');
    cell(tr, m.createdAt);
    cell(tr, m.direction);
    cell(tr, m.author ? m.author.name || m.author.userId : '');
    cell(tr, m.body + (m.media.length ? ' [' + m.media.length + ' file(s)]' : ''));
    cell(tr, m.status + (m.statusReason ? ': ' + m.statusReason : ''));
    return tr;
  }

  // The latest messages first (a page, oldest at the top); "Older messages" puts the page before
  // them on top, one click per page, until the conversation's first message is shown.
  async function loadMessages(c) {
    const page = await apiPage('/conversations/' + encodeURIComponent(c.id) + '/messages');
    const box = $('messages');
    box.replaceChildren();
    const h = document.createElement('h3');
    h.textContent = c.number + ' with ' + c.contact;
    box.appendChild(h);
    for (const format of ['csv', 'json']) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Export ' + format.toUpperCase();
      b.addEventListener('click', () => guarded(() => exportConversation(c, format)));
      box.appendChild(b);
    }
    const older = document.createElement('button');
    older.type = 'button';
    older.id = 'messages-older';
    older.textContent = 'Older messages';
    box.appendChild(older);
    const table = document.createElement('table');
    const tbody = document.createElement('tbody');
    tbody.id = 'message-rows';
    for (const m of page.items) tbody.appendChild(messageRow(m));
    table.appendChild(tbody);
    box.appendChild(table);
    let next = page.next;
    older.hidden = next === null;
    older.addEventListener('click', () => guarded(async () => {
      older.disabled = true;
      try {
        const before = await apiPage(next);
        const top = tbody.firstChild;
        for (const m of before.items) tbody.insertBefore(messageRow(m), top);
        next = before.next;
        older.hidden = next === null;
      } finally {
        older.disabled = false;
      }
    }));
  }

  async function searchHistory(query) {
    const hits = await api('GET', '/messages?' + query);
    fill('history', hits, (tr, m) => {
      cell(tr, m.createdAt);
      cell(tr, m.number);
      cell(tr, m.contact);
      cell(tr, m.direction);
      cell(tr, m.body);
      cell(tr, m.status + (m.statusReason ? ': ' + m.statusReason : ''));
      button(tr, 'Conversation', () => guarded(() => loadMessages({ id: m.conversationId, number: m.number, contact: m.contact })));
    }, 'No messages found.');
    say(hits.length + ' message(s) found.');
  }

  // The policy box keeps what the admin typed: a reload of the page's tables (after adding a
  // number, say) leaves unsaved edits alone, and the save sends the ETag of the version the
  // edits started from, so it is refused if another admin saved in between.
  let policyTag = null;
  let policyShown = '';
  const policyEdited = () => $('policy').value !== policyShown;

  function showPolicy(data, res) {
    policyTag = res.headers.get('etag');
    policyShown = JSON.stringify(data, null, 2);
    $('policy').value = policyShown;
  }

  // The groups the API merges field by field (PUT /policy): only their changed fields are sent.
  const MERGED_GROUPS = ['mms', 'throughput'];
  function changedFields(now, was) {
    const out = {};
    for (const key of Object.keys(now)) {
      if (JSON.stringify(now[key]) === JSON.stringify(was[key])) continue;
      const group = MERGED_GROUPS.includes(key) && now[key] && was[key] && typeof now[key] === 'object' && !Array.isArray(now[key]);
      out[key] = group ? changedFields(now[key], was[key]) : now[key];
    }
    return out;
  }

  async function loadPolicy(force) {
    if (!force && policyEdited()) return;
    const { data, res } = await call('GET', '/policy');
    showPolicy(data, res);
  }

  async function loadUsers() {
    const users = await api('GET', '/users');
    fill('users', users, (tr, u) => {
      cell(tr, u.platform);
      cell(tr, u.userId);
      cell(tr, u.smsEnabled ? 'yes' : 'no');
      cell(tr, u.admin ? 'yes' : 'no');
      cell(tr, u.updatedAt);
    }, 'Nobody has a policy of their own: the defaults apply to everyone.');
  }

  async function loadAudit() {
    const entries = await api('GET', '/audit?limit=50');
    const brief = (v) => (v === null || v === undefined ? '' : JSON.stringify(v)).slice(0, 200);
    fill('audit', entries, (tr, a) => {
      cell(tr, a.at);
      cell(tr, a.actor);
      cell(tr, a.action);
      cell(tr, a.target);
      cell(tr, brief(a.before));
      cell(tr, brief(a.after));
    }, 'No changes recorded yet.');
  }

  async function loadUnrouted() {
    const messages = await api('GET', '/unrouted?limit=50');
    fill('unrouted', messages, (tr, m) => {
      cell(tr, m.createdAt);
      cell(tr, m.number || '');
      cell(tr, m.contact || '');
      cell(tr, m.body);
      cell(tr, m.status);
      cell(tr, m.statusReason || 'number not mapped');
    }, 'Nothing unrouted.');
  }

  async function resend(messageId) {
    const path = '/messages/' + encodeURIComponent(messageId) + '/resend';
    let done;
    try {
      done = await api('POST', path, {});
    } catch (err) {
      if (err.reason !== 'outcome_unknown') throw err;
      if (!confirm('The last try of this text may have reached the contact (its outcome is unknown). Send it again anyway? The contact may get it twice.')) {
        say('Resend cancelled: nothing was sent.');
        return;
      }
      done = await api('POST', path, { force: true });
    }
    await loadFailedJobs();
    await loadAudit();
    const extra = done && (done.warning || done.note);
    say('Resent ' + messageId + (extra ? ' (' + extra + ')' : '') + '.');
  }

  async function loadFailedJobs() {
    const list = await api('GET', '/jobs/failed');
    fill('failed-jobs', list.jobs, (tr, j) => {
      cell(tr, j.failedAt || '');
      cell(tr, j.queue);
      cell(tr, j.messageId || '');
      cell(tr, j.failedReason);
      cell(tr, String(j.attemptsMade));
      if (j.queue === 'send' && j.messageId) {
        button(tr, 'Resend', () => guarded(() => resend(j.messageId)));
      } else {
        button(tr, 'Retry', () => guarded(async () => {
          await api('POST', '/jobs/' + encodeURIComponent(j.id) + '/retry', {});
          await loadFailedJobs();
          await loadAudit();
          say('Retrying ' + j.id + '.');
        }));
      }
    }, 'No failed jobs.');
  }

  // Each part loads on its own: one that fails (the failed jobs while Redis is down) leaves the
  // others shown and is named in the status line.
  async function loadAll() {
    const parts = [loadNumbers, loadMappings, () => loadConversations(''), loadPolicy, loadUsers, loadFailedJobs, loadAudit, loadUnrouted];
    const results = await Promise.allSettled(parts.map((load) => load()));
    const problems = [...new Set(results.filter((r) => r.status === 'rejected').map((r) => r.reason.message))];
    if (problems.length > 0) return say(problems.join(' '), true);
    say(policyEdited() ? 'Loaded. Your unsaved policy edits are kept.' : 'Loaded.');
  }

  function formJson(form) {
    const out = {};
    for (const [k, v] of new FormData(form).entries()) if (v !== '') out[k] = v;
    return out;
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem(KEY, token);
    guarded(loadAll);
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    token = '';
    $('token').value = '';
    // What the token showed goes with it (message texts, contacts, the audit log).
    for (const id of ['numbers', 'mappings', 'conversations', 'history', 'users', 'audit', 'failed-jobs', 'unrouted', 'messages']) $(id).replaceChildren();
    $('conversations-more').hidden = true;
    policyTag = null;
    policyShown = '';
    $('policy').value = '';
    say('Token forgotten.');
  });
  $('add-number').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      const n = await api('POST', '/numbers', formJson(e.target));
      e.target.reset();
      await Promise.all([loadNumbers(), loadAudit()]);
      say('Added ' + n.number + (n.smsCapable ? '' : ' (not SMS-capable: ' + n.reasons.map((r) => r.reason).join(' ') + ')'));
    });
  });
  $('add-mapping').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      const m = await api('POST', '/mappings', formJson(e.target));
      e.target.reset();
      await Promise.all([loadMappings(), loadAudit(), loadUnrouted()]);
      say('Mapped ' + m.number + ' to ' + m.platform + ' ' + m.channel);
    });
  });
  $('edit-policy').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      // Without the version it was loaded at there is no telling what changed, nor whether
      // someone else saved meanwhile.
      if (policyTag === null) throw new Error('The policy has not been loaded: press Reload policy first.');
      let policy;
      try {
        policy = JSON.parse($('policy').value);
      } catch (err) {
        throw new Error('The policy is not valid JSON: ' + err.message);
      }
      // Only the fields the admin changed are sent: one left as shown keeps following the
      // bridge's default (a later release may improve it) instead of being pinned to today's.
      const changed = changedFields(policy, policyShown ? JSON.parse(policyShown) : {});
      if (Object.keys(changed).length === 0) return say('Nothing to save: the policy is as shown.');
      const { data, res } = await call('PUT', '/policy', changed, policyTag ? { 'if-match': policyTag } : {});
      showPolicy(data, res);
      // Whether a number may send depends on the policy (toll-free, virtual): its table too.
      await Promise.all([loadNumbers(), loadAudit()]);
      say('Policy saved.');
    });
  });
  $('reload-policy').addEventListener('click', () => guarded(async () => {
    if (policyEdited() && !confirm('Discard your unsaved policy edits?')) return;
    await loadPolicy(true);
    say('Policy reloaded.');
  }));
  $('set-user').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      const f = formJson(e.target);
      const patch = {};
      if (f.smsEnabled) patch.smsEnabled = f.smsEnabled === 'true';
      if (f.admin) patch.admin = f.admin === 'true';
      const path = '/users/' + encodeURIComponent(f.platform) + '/' + encodeURIComponent(f.userId);
      const u = await api('PUT', path, patch);
      e.target.reset();
      await loadUsers();
      await loadAudit();
      say('Set ' + u.platform + ' ' + u.userId + ': ' + (u.smsEnabled ? 'may text' : 'may not text') + (u.admin ? ', admin' : '') + '.');
    });
  });
  $('find-conversations').addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams(formJson(e.target));
    guarded(() => loadConversations(params.toString()));
  });

  $('search-history').addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams(formJson(e.target));
    guarded(() => searchHistory(params.toString()));
  });

  if (token) guarded(loadAll);
})();
`;

/** GET /admin (the page) and GET /admin/console.js (its script). Both public: they hold no data. */
export function adminConsoleRouter(): Router {
  const router = Router();
  const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-cache' };
  router.get(['/', '/index.html'], (_req, res) => {
    res.set(headers).type('html').send(PAGE);
  });
  router.get('/console.js', (_req, res) => {
    res.set(headers).type('application/javascript').send(SCRIPT);
  });
  return router;
}
