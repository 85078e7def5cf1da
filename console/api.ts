// Every call to the admin API. The console signs in with a cookie session (POST /admin/session):
// the browser sends the HttpOnly cookie, the page never holds the token (not in storage, not in
// memory, never as a bearer header).

/** One refusal: the API says `message` in error bodies and `reason` on number views. */
export interface Reason {
  code: string;
  message?: string;
  reason?: string;
}

export function reasonText(r: Reason | string): string {
  return typeof r === 'string' ? r : (r.message ?? r.reason ?? r.code);
}

export interface ApiError {
  status: number;
  code: string;
  message: string;
  field?: string;
  /** A machine-readable sub-code some routes add (e.g. outcome_unknown on a resend). */
  reason?: string;
  reasons?: Reason[];
}

export type ApiResult<T> =
  | { ok: true; status: number; data: T; next: string | null; etag: string | null }
  | { ok: false; status: number; error: ApiError; unavailable: boolean };

let onUnauthorized: () => void = () => undefined;

/** Called when a signed-in request comes back 401 (the session ended). */
export function setOnUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

/** The URL of `Link: <url>; rel="next"`, if any. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return m[1];
  }
  return null;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** A 401 is the answer itself (sign-in), not a lost session. */
  quiet401?: boolean;
}

export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) body = opts.body;
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch {
    return { ok: false, status: 0, unavailable: false, error: { status: 0, code: 'network', message: 'The bridge did not answer; check that it is running.' } };
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) {
    return { ok: true, status: res.status, data: json as T, next: nextLink(res.headers.get('link')), etag: res.headers.get('etag') };
  }
  const e = (json as { error?: Partial<ApiError> } | null)?.error ?? {};
  const error: ApiError = {
    status: res.status,
    code: e.code ?? `http_${res.status}`,
    message: e.message ?? `The bridge answered ${res.status} ${res.statusText}.`,
    ...(e.field ? { field: e.field } : {}),
    ...(typeof e.reason === 'string' ? { reason: e.reason } : {}),
    ...(Array.isArray(e.reasons) ? { reasons: e.reasons } : {}),
  };
  // A route this bridge does not have yet answers the generic JSON 404 "No route for ...".
  const unavailable = res.status === 404 && /^No route for /.test(error.message);
  if (res.status === 401 && !opts.quiet401) onUnauthorized();
  return { ok: false, status: res.status, error, unavailable };
}

/** A file as a data: URL (pictures sent through JSON). */
export function dataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('could not read the file'));
    r.readAsDataURL(file);
  });
}
