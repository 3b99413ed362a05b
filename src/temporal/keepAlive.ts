import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** Activities that heartbeat on their own (runAgent's and timeOnExclusiveGpus's heartbeats carry what their retry re-attaches to). */
const OWN_HEARTBEATS = new Set(['runAgent', 'timeRun', 'timeOnExclusiveGpus', 'serveRelay', 'stopAgent']);

/** How often the others heartbeat: well inside the workflows' 10 s heartbeat timeout. */
export const KEEP_ALIVE_MS = 2000;

/**
 * Heartbeats every other activity while it runs. Without a heartbeat, a step that was in flight
 * when its worker died (freezing, judging, writing a verdict) is retried only after its whole
 * start-to-close timeout (10 to 40 minutes) and the session stands still that long; with one, the
 * server notices the loss after the heartbeat timeout and a live worker takes the step over.
 */
export const keepAlive: ActivityInterceptorsFactory = (ctx: Context) => ({
  inbound: {
    async execute(input, next) {
      if (OWN_HEARTBEATS.has(ctx.info.activityType)) return next(input);
      const timer = setInterval(() => ctx.heartbeat(), KEEP_ALIVE_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});
