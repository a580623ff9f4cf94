import type { LeaderContender } from '../../../src/highavailability/leaderelection/LeaderContender.js';

/** A LeaderContender that records its grants and revocations. */
export class TestingLeaderContender implements LeaderContender {
  readonly events: Array<'granted' | 'revoked'> = [];
  leaderSessionId: string | undefined;

  grantLeadership(leaderSessionId: string): void {
    this.leaderSessionId = leaderSessionId;
    this.events.push('granted');
  }

  revokeLeadership(): void {
    this.leaderSessionId = undefined;
    this.events.push('revoked');
  }
}
