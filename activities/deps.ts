import type { Client } from '@temporalio/client';
import type { Sandbox } from '../src/sandbox/sandbox';
import type { Sandboxes } from '../src/sandbox/backends';
import type { SessionSpec } from '../src/domain/spec';

/** What the worker hands its activities: a client (for the relay) and the sandbox backends. */
export interface ActivityDeps {
  client: Client;
  sandboxes: Sandboxes;
}

export function sandboxOf(deps: ActivityDeps, spec: SessionSpec): Sandbox {
  const sb = deps.sandboxes[spec.sandbox];
  if (!sb) throw new Error(`this worker has no ${spec.sandbox} sandbox (available: ${Object.keys(deps.sandboxes).join(', ') || 'none'})`);
  return sb;
}
