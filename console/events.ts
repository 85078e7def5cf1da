// Live updates: one EventSource on /admin/api/events for the whole tab (the session cookie goes
// with it). When the stream is refused or EventSource is missing, pages fall back to polling:
// the hook says which.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Message } from './types';

export interface LiveEvent {
  type: 'message' | 'status';
  conversationId: string;
  message: Message;
}

export type LiveMode = 'connecting' | 'live' | 'polling';

type Listener = (e: LiveEvent) => void;
const listeners = new Set<Listener>();
const modeListeners = new Set<(m: LiveMode) => void>();
let source: EventSource | null = null;
let mode: LiveMode = 'connecting';

function setMode(m: LiveMode): void {
  mode = m;
  for (const l of modeListeners) l(m);
}

function open(): void {
  if (source || typeof EventSource === 'undefined') {
    if (!source) setMode('polling');
    return;
  }
  source = new EventSource('/admin/api/events');
  source.onopen = () => setMode('live');
  source.onerror = () => {
    // CLOSED: the bridge refused the stream (no such route, not signed in); CONNECTING: a
    // dropped connection the browser retries by itself.
    if (source?.readyState === EventSource.CLOSED) {
      source = null;
      setMode('polling');
    }
  };
  for (const type of ['message', 'status'] as const) {
    source.addEventListener(type, (ev) => {
      try {
        const data = JSON.parse((ev as MessageEvent<string>).data) as Omit<LiveEvent, 'type'>;
        for (const l of listeners) l({ type, ...data });
      } catch {
        // A malformed event is skipped; the next reload shows the truth.
      }
    });
  }
}

/** Calls onEvent for each live event; returns how the page learns of changes. */
export function useLiveEvents(onEvent: Listener): LiveMode {
  const [m, setM] = useState<LiveMode>(mode);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const l: Listener = (e) => handler.current(e);
    listeners.add(l);
    modeListeners.add(setM);
    open();
    setM(mode);
    return () => {
      listeners.delete(l);
      modeListeners.delete(setM);
    };
  }, []);
  return m;
}

/** Runs fn every ms while ms is not null. */
export function useInterval(fn: () => void, ms: number | null): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (ms === null) return;
    const t = setInterval(() => saved.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}

/** Closes the stream (sign-out). */
export function closeLiveEvents(): void {
  source?.close();
  source = null;
  mode = 'connecting';
}
