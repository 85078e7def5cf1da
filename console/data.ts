// Loading from the admin API inside a page: one resource (useApi), or a list a page at a time
// that follows the API's `Link: rel=next` header (usePaged).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, type ApiResult } from './api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  unavailable: boolean;
  loading: boolean;
  etag: string | null;
  reload: () => void;
}

export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ result: ApiResult<T> | null; loading: boolean }>({ result: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    void api<T>('GET', path).then((result) => {
      if (live) setState({ result, loading: false });
    });
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const r = state.result;
  return {
    data: r?.ok ? r.data : null,
    error: r && !r.ok ? r.error : null,
    unavailable: !!r && !r.ok && r.unavailable,
    loading: state.loading,
    etag: r?.ok ? r.etag : null,
    reload,
  };
}

export interface Paged<T> extends Omit<Loaded<T[]>, 'data' | 'etag'> {
  items: T[];
  hasMore: boolean;
  more: () => void;
}

/** A list a page at a time: `more()` appends the page named by the last answer's Link header. */
export function usePaged<T>(path: string | null): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const busy = useRef(false);
  const generation = useRef(0);

  const load = useCallback(async (url: string, append: boolean) => {
    const gen = generation.current;
    busy.current = true;
    setLoading(true);
    const r = await api<T[]>('GET', url);
    if (gen !== generation.current) return;
    busy.current = false;
    setLoading(false);
    if (r.ok) {
      setItems((old) => (append ? [...old, ...r.data] : r.data));
      setNext(r.next);
      setError(null);
      setUnavailable(false);
    } else {
      setError(r.error);
      setUnavailable(r.unavailable);
    }
  }, []);

  useEffect(() => {
    generation.current++;
    busy.current = false;
    if (path === null) return;
    void load(path, false);
  }, [path, tick, load]);

  return {
    items,
    error,
    unavailable,
    loading,
    hasMore: next !== null,
    more: () => {
      if (next && !busy.current) void load(next, true);
    },
    reload: () => setTick((t) => t + 1),
  };
}
