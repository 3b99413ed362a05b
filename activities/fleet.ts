import type { ActivityDeps } from './deps';
import type { Placement } from '../src/fleet/fleet';
import { ensureFleet } from '../src/fleet/fleetClient';
import { releasePlacementUpdate, requestPlacementUpdate } from '../workflows/messages';

/** A session's side of the fleet, run on the control task queue: ask for a node, give it back. */
export function fleetActivities(deps: ActivityDeps) {
  /** The placement when a node has room now, else null (the fleet signals `placed` later). Idempotent. */
  async function requestPlacement(req: { sessionId: string; gpus: number }): Promise<Placement | null> {
    const fleet = await ensureFleet(deps.client);
    return fleet.executeUpdate(requestPlacementUpdate, { args: [req] });
  }

  async function releasePlacement(req: { sessionId: string }): Promise<void> {
    const fleet = await ensureFleet(deps.client);
    await fleet.executeUpdate(releasePlacementUpdate, { args: [req] });
  }
  return { requestPlacement, releasePlacement };
}
