import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Sandboxes } from '../sandbox/backends';
import { benchHome, safeName } from '../files/layout';
import { nodeHeartbeatUpdate, registerNodeUpdate } from '../../workflows/messages';
import { ensureFleet } from './fleetClient';
import { FLEET_WORKFLOW_ID } from './fleet';

export interface NodeMembershipOptions {
  client: Client;
  node: string;
  gpus: number;
  heartbeatSeconds: number;
  sandboxes: Sandboxes;
  log: (msg: string) => void;
}

/**
 * A GPU node's membership of the fleet, from its worker process: it registers, then heartbeats.
 * Each answer names the sessions placed on it; whatever this node still runs of any other session
 * (it was declared lost and they moved, or they ended) is ended: that is the node's side of the
 * fencing. Processes are matched by the node that started them, so a node never touches another's.
 */
export class NodeMembership {
  private placed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private fencing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: NodeMembershipOptions) {}

  /** Whether the fleet's last answer placed this session here. */
  readonly placedHere = (sessionId: string): boolean => this.placed.has(safeName(sessionId));

  async start(): Promise<string[]> {
    const fleet = await ensureFleet(this.opts.client);
    const { placed } = await fleet.executeUpdate(registerNodeUpdate, { args: [{ node: this.opts.node, gpus: this.opts.gpus }] });
    this.placed = new Set(placed.map(safeName));
    await this.fence(await this.sessionsOnDisk());
    // On time even when the server is slow to answer: a heartbeat does not wait for the one before.
    this.timer = setInterval(() => {
      if (this.inFlight.size >= 5) return;
      const beat = this.heartbeat().finally(() => this.inFlight.delete(beat));
      this.inFlight.add(beat);
    }, this.opts.heartbeatSeconds * 1000);
    return placed;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    await this.fencing;
  }

  private async heartbeat(): Promise<void> {
    try {
      const fleet = this.opts.client.workflow.getHandle(FLEET_WORKFLOW_ID);
      const { placed } = await fleet.executeUpdate(nodeHeartbeatUpdate, { args: [{ node: this.opts.node, gpus: this.opts.gpus, sentAtMs: Date.now() }] });
      const now = new Set(placed.map(safeName));
      const gone = [...this.placed].filter((s) => !now.has(s));
      this.placed = now;
      if (gone.length > 0) this.fencing = this.fencing.then(() => this.fence(gone));
      await this.fencing;
    } catch (err) {
      this.opts.log(`fleet heartbeat failed (retrying): ${(err as Error).message}`);
    }
  }

  /** Ends this node's processes of the given sessions unless they are placed here. */
  private async fence(sessionDirs: string[]): Promise<void> {
    for (const dir of sessionDirs) {
      if (this.placed.has(dir)) continue;
      for (const sb of Object.values(this.opts.sandboxes)) {
        const ended = await sb.removeSession(dir);
        if (ended > 0) this.opts.log(`fenced: ended ${ended} leftover process(es) of session ${dir}, which is not placed on ${this.opts.node}`);
      }
    }
  }

  /** The session folders on the shared state folder (runs/<session>). */
  private async sessionsOnDisk(): Promise<string[]> {
    const runs = join(benchHome(), 'runs');
    return existsSync(runs) ? (await readdir(runs, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name) : [];
  }
}
