// `npm run bench`: every benchmark of the bridge, one after the other, numbers on stdout.
// Outbound (issue 4) now; the inbound part plugs in here when it exists.
import { formatOutboundBench, runOutboundBench } from './outbound.js';

async function main(): Promise<void> {
  const only = process.argv[2];
  if (!only || only === 'outbound') {
    const result = await runOutboundBench();
    console.log(formatOutboundBench(result));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
