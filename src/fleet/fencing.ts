import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { placementQuery } from '../../workflows/messages';
import { FLEET_WORKFLOW_ID } from './fleet';

/**
 * A GPU node's last line of fencing: before it runs an activity for a fleet session placed
 * elsewhere as far as its last heartbeat knows (`placedHere`), it asks the fleet where that session
 * is placed now (it may have been placed here since). A task left for it from before it was declared lost
 * (the session has moved since) fails at once, without a retry, and runs nothing. When the fleet
 * cannot be asked, the task runs: a node that cannot reach the server cannot heartbeat either,
 * and its sessions are moved and their activities cancelled there.
 */
export function fencingInterceptor(
  client: Client,
  node: string,
  placedHere: (sessionId: string) => boolean,
  log: (msg: string) => void,
): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      execute: async (input, next) => {
        const session = (input.args[0] as { session?: { sessionId?: string; spec?: { fleet?: boolean } } } | undefined)?.session;
        if (session?.spec?.fleet && session.sessionId && !placedHere(session.sessionId)) {
          const placed = await client.workflow
            .getHandle(FLEET_WORKFLOW_ID)
            .query(placementQuery, session.sessionId)
            .catch((err: unknown) => {
              log(`fencing: could not ask the fleet where ${session.sessionId} is placed (${(err as Error).message}); running the task`);
              return undefined;
            });
          if (placed !== undefined && placed?.node !== node) {
            throw ApplicationFailure.nonRetryable(
              `fenced: session ${session.sessionId} is not placed on node ${node} (it is on ${placed?.node ?? 'no node'})`,
              'Fenced',
            );
          }
        }
        return next(input);
      },
    },
  });
}
