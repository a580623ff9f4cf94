import { useEffect, useRef, useState } from 'preact/hooks';
import { request, type Answer, type RequestOptions } from './api';
import { useTick } from './refresh';

export interface Polled<T> {
  /** The latest successful answer for the current key (kept while later polls fail). */
  data: T | undefined;
  /** The HTTP status of the latest answer (0: unreachable), undefined before the first. */
  status: number | undefined;
  /** The latest answer's failure, if it failed. */
  error: string | undefined;
  /** Loads again now (unless a load for this key is already under way). */
  reload: () => void;
}

interface State<T> {
  key: string | null;
  data?: T;
  status?: number;
  error?: string;
}

/**
 * Loads `load()` when `key` is set or changes, again on every refresh tick when `live`, and on `reload()`. A tick that
 * comes while the previous load is still under way is skipped, so a slow endpoint is never asked twice at once (a
 * reload() is deferred until it is done); answers for a key that is no longer current are dropped.
 */
export function usePolled<T>(key: string | null, load: () => Promise<Answer<T>>, live = true): Polled<T> {
  const tick = useTick();
  const [nonce, setNonce] = useState(0);
  const [state, setState] = useState<State<T>>({ key });
  const currentKey = useRef(key);
  currentKey.current = key;
  const loading = useRef<string | null>(null);
  const handledNonce = useRef(nonce);
  const reloadAfterwards = useRef(false);

  useEffect(() => {
    if (key === null) return;
    if (loading.current === key) {
      // A reload() asks for data newer than the load under way (say, after an upload): load again once it is done.
      if (nonce !== handledNonce.current) reloadAfterwards.current = true;
      return;
    }
    loading.current = key;
    handledNonce.current = nonce;
    void load().then((answer) => {
      if (loading.current === key) loading.current = null;
      if (currentKey.current !== key) return;
      setState((previous) => {
        const kept = previous.key === key ? previous.data : undefined;
        return answer.ok ? { key, data: answer.data, status: answer.status } : { key, data: kept, status: answer.status, error: answer.error };
      });
      if (reloadAfterwards.current) {
        reloadAfterwards.current = false;
        setNonce((n) => n + 1);
      }
    });
  }, [key, live ? tick : 0, nonce]);

  const current = state.key === key ? state : { key };
  return { data: current.data, status: current.status, error: current.error, reload: () => setNonce((n) => n + 1) };
}

/** GET `url` (JSON, or text with `options.text`) on every refresh tick; `url` null: nothing. */
export function usePoll<T>(url: string | null, options: RequestOptions & { live?: boolean } = {}): Polled<T> {
  return usePolled<T>(url, () => request<T>(url!, options), options.live ?? true);
}
