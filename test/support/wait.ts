// Polls until a condition holds. Integration tests wait on real servers and workers, which finish
// a moment after the HTTP answer that started them; polling with a deadline is the honest wait.
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 8_000,
  intervalMs = 20,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
