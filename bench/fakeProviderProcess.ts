// The benchmark's fake provider in its own process (a real provider is another machine; in the
// benchmark process it would steal CPU from the pipeline being measured). Parent <-> child over
// IPC: the child announces its URL; on 'dump' it returns the arrival time of each message id
// (performance.timeOrigin + now(), comparable across processes on one machine) and forgets them.
import { performance } from 'node:perf_hooks';
import { startFakeProvider } from '../test/jobs/support/fakeProvider.js';

const fake = await startFakeProvider();
let arrivals: Array<[string, number]> = [];
fake.setScript((r) => {
  arrivals.push([r.messageId, performance.timeOrigin + performance.now()]);
  return 'ok';
});
// Keep memory flat: the fake's own request log is not needed here.
setInterval(() => {
  fake.requests.length = 0;
  fake.sent.length = 0;
}, 1000).unref();
process.on('message', (msg: unknown) => {
  if (msg === 'dump') {
    process.send?.({ arrivals });
    arrivals = [];
  } else if (msg === 'stop') {
    void fake.close().then(() => process.exit(0));
  }
});
process.send?.({ url: fake.url });
