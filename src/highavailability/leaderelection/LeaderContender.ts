/**
 * A component that wants to lead (Flink's LeaderContender). Leadership comes with a leader session id: the fencing
 * token the leader stamps on everything it sends, and what receivers check.
 */
export interface LeaderContender {
  grantLeadership(leaderSessionId: string): void;
  /** Leadership ended (a suspended or lost ZooKeeper session, or close): stop acting as the leader at once. */
  revokeLeadership(): void;
}
