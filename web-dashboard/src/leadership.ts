// Which JobManager leads, as the REST answers tell it (tsflink's X-TsFlink-Leader and X-TsFlink-JobManager headers, sent
// with high availability): the top bar names the leader, and says when this JobManager is a standby forwarding to it.

export interface Leadership {
  /** The leading JobManager's REST address. */
  leader: string;
  /** Whether the JobManager serving this dashboard is that leader, or a standby that forwards to it. */
  role: 'leader' | 'standby';
}

type Listener = (leadership: Leadership | undefined) => void;

class LeadershipStore {
  private current: Leadership | undefined;
  private readonly listeners = new Set<Listener>();

  /** Takes the headers of a REST answer; an answer without them changes nothing. */
  observe(headers: Headers): void {
    const leader = headers.get('X-TsFlink-Leader');
    const role = headers.get('X-TsFlink-JobManager');
    if (!leader || (role !== 'leader' && role !== 'standby')) return;
    if (this.current?.leader === leader && this.current.role === role) return;
    this.current = { leader, role };
    for (const listener of this.listeners) listener(this.current);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }
}

export const leadership = new LeadershipStore();
