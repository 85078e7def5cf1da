// The bridge as a real child process (`src/main.ts` with tsx's loader), for tests that kill it: the same
// environment can start it again on the same data.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ChildBridge {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once /healthz answers 200 (the time it did). */
  healthy(deadlineMs?: number): Promise<number>;
  kill9(): Promise<void>;
}

/** Starts the bridge with `env` on top of a clean environment (none of the caller's bridge settings). */
export function startChildBridge(env: Record<string, string>): ChildBridge {
  const clean: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(clean)) {
    if (/^(PORT|DATA_DIR|ADMIN_TOKEN|PUBLIC_URL|QUEUE_PREFIX|REDIS_URL|LOG_LEVEL|SLACK_|TEAMS_|TWILIO_|EIGHTX8_|INSTANCE_ID)/.test(k)) delete clean[k];
  }
  // Node itself with tsx as a loader, not the tsx CLI: the CLI runs the bridge in a child process
  // of its own, so a SIGKILL to it would leave the bridge running (orphaned) and a "killed"
  // bridge would go on answering.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${env.PORT}`;
  return {
    child,
    url,
    output: () => out,
    exited,
    async healthy(deadlineMs = 30_000) {
      const until = Date.now() + deadlineMs;
      while (Date.now() < until) {
        if (child.exitCode !== null) throw new Error(`the bridge exited (${child.exitCode}):\n${out}`);
        try {
          if ((await fetch(`${url}/healthz`)).status === 200) return Date.now();
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the bridge never answered /healthz:\n${out}`);
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
