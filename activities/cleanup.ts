import { log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { sandboxOf } from './deps';
import type { SessionRef } from '../src/domain/session';

export function cleanupActivities(deps: ActivityDeps) {
  /** The session's last step: nothing of its sandboxes may outlive it (containers, stray processes). */
  async function releaseSession({ session }: { session: SessionRef }): Promise<number> {
    const removed = await sandboxOf(deps, session.spec).removeSession(session.sessionId);
    if (removed > 0) log.info('released sandboxes left at session end', { sessionId: session.sessionId, removed });
    return removed;
  }
  return { releaseSession };
}
