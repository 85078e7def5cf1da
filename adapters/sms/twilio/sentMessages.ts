// Twilio's "Read multiple Message resources" (GET /2010-04-01/Accounts/{AccountSid}/Messages.json)
// as the SentMessageFinder capability: the messages from our number to a contact since a time,
// for a send whose outcome is unknown (src/app/findEarlierSend.ts decides what matches).
//
// Filters: To, From and `DateSent>=YYYY-MM-DD` (a GMT date; Twilio has no finer filter), pages of
// PageSize (max 1000) followed by `next_page_uri` until it is null. A message Twilio accepted but
// has not sent yet (queued behind the number's throughput) may have no date_sent and be left out
// by a DateSent filter, so the first page of the same To/From list without a date filter (newest
// first) is read as well. Each message's date_created then decides "since" precisely.
import { ProviderError } from '../../../src/core/errors.js';
import type { ProviderSentMessage } from '../../../src/core/ports.js';
import { headerValue, providerRequest, tryParseJson } from '../shared/httpClient.js';
import { basicAuth, twilioError, twilioMessagesUrl, type TwilioClientConfig } from './client.js';
import { TWILIO_PROVIDER_ID } from './parse.js';

export const LIST_PAGE_SIZE = 100;
/** More pages than this for one number and contact since one day: refuse to guess (an error). */
export const MAX_LIST_PAGES = 20;

export async function twilioFindSentMessages(
  cfg: Omit<TwilioClientConfig, 'statusCallbackUrl'>,
  q: { from: string; to: string; since: string },
): Promise<ProviderSentMessage[]> {
  const base = new URLSearchParams({ To: q.to, From: q.from });
  const dated = new URLSearchParams(base);
  dated.append('DateSent>', q.since.slice(0, 10)); // serialised as DateSent%3E=YYYY-MM-DD
  dated.append('PageSize', String(LIST_PAGE_SIZE));
  const undated = new URLSearchParams(base);
  undated.append('PageSize', String(LIST_PAGE_SIZE));

  const first = `${twilioMessagesUrl(cfg.apiUrl, cfg.accountSid)}?`;
  const found = new Map<string, ProviderSentMessage>();
  let url: string | null = first + dated.toString();
  for (let page = 0; url !== null; page++) {
    if (page === MAX_LIST_PAGES) {
      throw new ProviderError({ provider: TWILIO_PROVIDER_ID, message: `more than ${MAX_LIST_PAGES} pages of messages to look through`, retryable: false });
    }
    const body = await getPage(cfg, url);
    for (const m of body.messages) found.set(m.providerMessageId, m);
    url = body.next === null ? null : new URL(body.next, cfg.apiUrl).toString();
  }
  for (const m of (await getPage(cfg, first + undated.toString())).messages) found.set(m.providerMessageId, m);
  const sinceMs = Date.parse(q.since);
  return [...found.values()]
    .filter((m) => m.createdAt !== null && Date.parse(m.createdAt) >= sinceMs)
    .sort((a, b) => Date.parse(b.createdAt!) - Date.parse(a.createdAt!));
}

async function getPage(cfg: Omit<TwilioClientConfig, 'statusCallbackUrl'>, url: string): Promise<{ messages: ProviderSentMessage[]; next: string | null }> {
  const res = await providerRequest({
    provider: TWILIO_PROVIDER_ID,
    method: 'GET',
    url,
    headers: { authorization: basicAuth(cfg.accountSid, cfg.authToken), accept: 'application/json' },
    timeoutMs: cfg.timeoutMs ?? 15_000,
  });
  const json = tryParseJson(res.text) as Record<string, unknown> | null;
  if (res.status < 200 || res.status >= 300) {
    throw twilioError(res.status, json, headerValue(res.headers, 'retry-after'));
  }
  if (!json || !Array.isArray(json.messages)) {
    throw new ProviderError({ provider: TWILIO_PROVIDER_ID, message: 'Twilio answered the message list without a messages array', retryable: true, httpStatus: res.status });
  }
  const messages: ProviderSentMessage[] = [];
  for (const raw of json.messages as Array<Record<string, unknown>>) {
    // Only what we sent through the API (direction outbound-api, or outbound-reply etc.).
    if (typeof raw.sid !== 'string' || typeof raw.direction !== 'string' || !raw.direction.startsWith('outbound')) continue;
    const created = typeof raw.date_created === 'string' ? Date.parse(raw.date_created) : NaN;
    const media = typeof raw.num_media === 'string' || typeof raw.num_media === 'number' ? Number(raw.num_media) : NaN;
    messages.push({
      providerMessageId: raw.sid,
      createdAt: Number.isNaN(created) ? null : new Date(created).toISOString(),
      body: typeof raw.body === 'string' ? raw.body : '',
      mediaCount: Number.isNaN(media) ? null : media,
    });
  }
  const next = typeof json.next_page_uri === 'string' && json.next_page_uri !== '' ? json.next_page_uri : null;
  return { messages, next };
}
