import type { Client } from '@temporalio/client';
import type { Sandbox } from '../src/sandbox/sandbox';
import type { Sandboxes } from '../src/sandbox/backends';
import type { SessionSpec } from '../src/domain/spec';
import type { GpuSlots } from '../src/sandbox/gpuSlots';

/** What the worker hands its activities: a client (for the relay), the sandbox backends, the node's GPUs. */
export interface ActivityDeps {
  client: Client;
  sandboxes: Sandboxes;
  /** This node's GPUs, when the worker was told how many (`worker --gpus`): timed runs take them in turn. */
  gpuSlots?: GpuSlots;
}

export function sandboxOf(deps: ActivityDeps, spec: SessionSpec): Sandbox {
  const sb = deps.sandboxes[spec.sandbox];
  if (!sb) throw new Error(`this worker has no ${spec.sandbox} sandbox (available: ${Object.keys(deps.sandboxes).join(', ') || 'none'})`);
  return sb;
}
