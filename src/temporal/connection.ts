import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export const CONTROL_TASK_QUEUE = 'nanogpt-bench';
export const DEFAULT_ADDRESS = '127.0.0.1:7233';

export function temporalAddress(): string {
  return process.env.TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS;
}

export function namespace(): string {
  return process.env.TEMPORAL_NAMESPACE ?? 'default';
}

export async function connectClient(address = temporalAddress()): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: namespace() });
}

export async function connectWorker(address = temporalAddress()): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}
