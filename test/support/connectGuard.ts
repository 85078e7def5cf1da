// Records the host of every TCP connect this process makes (from the moment `install` runs until
// `restore`), so a test can prove no request left 127.0.0.1 (no Microsoft login or metadata, no
// host an activity named).

import net from 'node:net';

export interface ConnectGuard {
  /** Hosts connected to, in order ('localhost' when none was given). */
  readonly hosts: string[];
  install(): void;
  restore(): void;
}

export function connectGuard(): ConnectGuard {
  const hosts: string[] = [];
  const originalConnect = net.Socket.prototype.connect;
  return {
    hosts,
    install() {
      net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
        const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
        let host = 'localhost';
        if (typeof first === 'object' && first !== null) {
          const o = first as { host?: string; path?: string };
          host = o.path ?? o.host ?? 'localhost';
        } else if (typeof first === 'number' && typeof args[1] === 'string') host = args[1];
        hosts.push(host);
        return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
      } as typeof net.Socket.prototype.connect;
    },
    restore() {
      net.Socket.prototype.connect = originalConnect;
    },
  };
}
