// The inbound benchmark's fake Slack in its own process, like the outbound benchmark's fake
// provider (bench/fakeProviderProcess.ts): real Slack is another machine, so in the bridge's
// process the fake's request parsing and JSON answers would be billed to the bridge.
// Parent <-> child over IPC: the child announces { url, apiUrl, botToken }; on 'count' it answers
// { count } (messages posted so far); on 'dump' it returns [text, arrival epoch ms] of every post
// since the previous dump and forgets them; on 'stop' it closes and exits.
import { performance } from 'node:perf_hooks';
import { quotedText, startFakeSlack } from '../test/fakes/fakeSlack.js';

const channel = process.argv[2] ?? 'C0SMS';
const fake = await startFakeSlack();
fake.addChannel(channel, 'sms-desk');
let count = 0;
let arrivals: Array<[string, number]> = [];
fake.onPost = (m) => {
  count++;
  // The SMS text: the quote of a message post, else the text (thread roots).
  const said = quotedText(m) ?? m.text;
  if (said) arrivals.push([said, performance.timeOrigin + performance.now()]);
};
// Keep memory flat: only thread roots must stay known (thread_ts look-ups); the call log is not
// needed here.
setInterval(() => {
  fake.calls.length = 0;
}, 1000).unref();
process.on('message', (msg: unknown) => {
  if (msg === 'count') process.send?.({ count });
  else if (msg === 'dump') {
    process.send?.({ arrivals });
    arrivals = [];
  } else if (msg === 'stop') void fake.close().then(() => process.exit(0));
});
process.send?.({ url: fake.url, apiUrl: fake.apiUrl, botToken: fake.botToken });
