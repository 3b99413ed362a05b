import type { ActivityDeps } from './deps';
import { agentActivities } from './agent';
import { relayActivities } from './relay';
import { cleanupActivities } from './cleanup';
import { fleetActivities } from './fleet';
import { timingActivities } from './timing';
import { prepareWorkspace } from './workspace';
import { checkpointWorkspace, restoreWorkspace } from './checkpoint';
import { freezeSubmission } from './freeze';
import { freezeAndJudge, judgeSubmission } from './judge';
import { exclusiveRunsActivities } from './exclusiveRuns';
import { lookupCalibration, storeCalibration } from './calibration';
import { writeVerdict, writeSummary } from './records';

export function createActivities(deps: ActivityDeps) {
  const agent = agentActivities(deps);
  const timing = timingActivities(deps);
  return {
    prepareWorkspace,
    checkpointWorkspace,
    restoreWorkspace,
    freezeSubmission,
    judgeSubmission,
    freezeAndJudge,
    lookupCalibration,
    storeCalibration,
    writeVerdict,
    writeSummary,
    ...agent,
    ...relayActivities(deps),
    ...cleanupActivities(deps),
    ...fleetActivities(deps),
    ...timing,
    ...exclusiveRunsActivities({ ...agent, ...timing, gpuSlots: deps.gpuSlots }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
