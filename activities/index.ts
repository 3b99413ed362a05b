import type { ActivityDeps } from './deps';
import { agentActivities } from './agent';
import { relayActivities } from './relay';
import { cleanupActivities } from './cleanup';
import { fleetActivities } from './fleet';
import { timingActivities } from './timing';
import { prepareWorkspace } from './workspace';
import { checkpointWorkspace, restoreWorkspace } from './checkpoint';
import { freezeSubmission } from './freeze';
import { judgeSubmission } from './judge';
import { lookupCalibration, storeCalibration } from './calibration';
import { writeVerdict, writeSummary } from './records';

export function createActivities(deps: ActivityDeps) {
  return {
    prepareWorkspace,
    checkpointWorkspace,
    restoreWorkspace,
    freezeSubmission,
    judgeSubmission,
    lookupCalibration,
    storeCalibration,
    writeVerdict,
    writeSummary,
    ...agentActivities(deps),
    ...relayActivities(deps),
    ...cleanupActivities(deps),
    ...fleetActivities(deps),
    ...timingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
