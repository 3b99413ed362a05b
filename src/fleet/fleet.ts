/**
 * The fleet of GPU nodes as the fleet workflow keeps it: which nodes there are, how many GPUs each
 * has, when each was last seen, and which session is placed where. Pure functions of the state and
 * the workflow's clock, so the workflow stays a story and this stays testable.
 *
 * A placement carries an epoch, a number that only grows: it is the fencing token. Whatever comes
 * back naming an older epoch for a session (a node that was declared lost and returns, a signal
 * that crossed a move) is ignored.
 */
export const FLEET_WORKFLOW_ID = 'nanogpt-bench-fleet';
export const nodeTaskQueue = (node: string): string => `nanogpt-bench.node.${node}`;
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface FleetNode {
  name: string;
  gpus: number;
  registeredAtMs: number;
  lastSeenMs: number;
  /** Set when the node stopped heartbeating past the limit; cleared when it registers again. */
  lostAtMs: number | null;
}

export interface Placement {
  sessionId: string;
  node: string;
  gpus: number;
  epoch: number;
  placedAtMs: number;
}

/** What the fleet owes a session workflow: told by signal from the fleet's main loop. */
export type SessionNotice =
  | { kind: 'placed'; sessionId: string; node: string; epoch: number; atMs: number }
  | { kind: 'nodeLost'; sessionId: string; node: string; epoch: number; lastSeenMs: number; atMs: number };

export interface FleetState {
  /** Milliseconds without a heartbeat after which a node is declared lost. */
  lossAfterMs: number;
  nodes: Record<string, FleetNode>;
  placements: Record<string, Placement>;
  /** Sessions waiting for room, oldest first. */
  waiting: { sessionId: string; gpus: number; sinceMs: number }[];
  nextEpoch: number;
  outbox: SessionNotice[];
  /** Every loss ever declared, for the figures: when, what was placed there. */
  losses: { node: string; lastSeenMs: number; declaredAtMs: number; sessions: string[] }[];
}

export function newFleet(lossAfterMs: number): FleetState {
  return { lossAfterMs, nodes: {}, placements: {}, waiting: [], nextEpoch: 1, outbox: [], losses: [] };
}

/** A node (re)joins: a node that comes back after being declared lost starts with nothing placed. */
export function registerNode(f: FleetState, name: string, gpus: number, nowMs: number): string[] {
  if (!NODE_NAME.test(name)) throw new Error(`node: expected letters, digits, '.', '_' or '-' (at most 63), got ${JSON.stringify(name)}`);
  if (!Number.isInteger(gpus) || gpus < 1) throw new Error(`gpus: expected a positive integer, got ${gpus}`);
  const known = f.nodes[name];
  f.nodes[name] = { name, gpus, registeredAtMs: known && known.lostAtMs === null ? known.registeredAtMs : nowMs, lastSeenMs: nowMs, lostAtMs: null };
  placeWaiting(f, nowMs);
  return placedOn(f, name);
}

/**
 * A heartbeat: the node is alive; the answer is what is placed on it (everything else it must end).
 * `sentAtMs`, the node's clock when it sent it: a heartbeat that waited in a queue proves the node
 * alive when it was sent, not when it was read (never later than now, never earlier than before).
 */
export function heartbeat(f: FleetState, name: string, gpus: number, nowMs: number, sentAtMs = nowMs): string[] {
  const n = f.nodes[name];
  if (!n || n.lostAtMs !== null) return registerNode(f, name, gpus, nowMs);
  n.lastSeenMs = Math.max(n.lastSeenMs, Math.min(nowMs, sentAtMs));
  return placedOn(f, name);
}

export function placedOn(f: FleetState, node: string): string[] {
  return Object.values(f.placements)
    .filter((p) => p.node === node)
    .map((p) => p.sessionId)
    .sort();
}

export function freeGpus(f: FleetState, node: string): number {
  const n = f.nodes[node];
  if (!n || n.lostAtMs !== null) return 0;
  return n.gpus - Object.values(f.placements).reduce((a, p) => a + (p.node === node ? p.gpus : 0), 0);
}

/**
 * A session asks for a node. Already placed: the same placement. Otherwise it waits in line and
 * is placed as soon as a node has room; either way a `placed` notice is sent.
 */
export function requestPlacement(f: FleetState, sessionId: string, gpus: number, nowMs: number): Placement | null {
  const current = f.placements[sessionId];
  if (current) {
    f.outbox.push({ kind: 'placed', sessionId, node: current.node, epoch: current.epoch, atMs: nowMs });
    return current;
  }
  if (!f.waiting.some((w) => w.sessionId === sessionId)) f.waiting.push({ sessionId, gpus, sinceMs: nowMs });
  placeWaiting(f, nowMs);
  return f.placements[sessionId] ?? null;
}

/** The session ended (or gave up its node): its GPUs are free again. */
export function release(f: FleetState, sessionId: string, nowMs: number): void {
  delete f.placements[sessionId];
  f.waiting = f.waiting.filter((w) => w.sessionId !== sessionId);
  placeWaiting(f, nowMs);
}

/**
 * Places waiting sessions in order, each on the live node with the most free GPUs that fits it
 * (ties by name): load spreads over the fleet. A session that fits nowhere waits, and so does no
 * one behind it that is larger, but a smaller one behind it may pass.
 */
export function placeWaiting(f: FleetState, nowMs: number): void {
  const still: FleetState['waiting'] = [];
  for (const w of f.waiting) {
    const best = Object.values(f.nodes)
      .filter((n) => n.lostAtMs === null && freeGpus(f, n.name) >= w.gpus)
      .sort((a, b) => freeGpus(f, b.name) - freeGpus(f, a.name) || a.name.localeCompare(b.name))[0];
    if (!best) {
      still.push(w);
      continue;
    }
    const p: Placement = { sessionId: w.sessionId, node: best.name, gpus: w.gpus, epoch: f.nextEpoch++, placedAtMs: nowMs };
    f.placements[w.sessionId] = p;
    f.outbox.push({ kind: 'placed', sessionId: p.sessionId, node: p.node, epoch: p.epoch, atMs: nowMs });
  }
  f.waiting = still;
}

/**
 * Nodes not seen for lossAfterMs are declared lost: their sessions lose their placement, are told
 * so, and go back in line (first, so a moved session is not starved by newcomers).
 */
export function declareLost(f: FleetState, nowMs: number): string[] {
  const lost: string[] = [];
  for (const n of Object.values(f.nodes)) {
    if (n.lostAtMs !== null || nowMs - n.lastSeenMs < f.lossAfterMs) continue;
    n.lostAtMs = nowMs;
    lost.push(n.name);
    const moved = Object.values(f.placements).filter((p) => p.node === n.name);
    f.losses.push({ node: n.name, lastSeenMs: n.lastSeenMs, declaredAtMs: nowMs, sessions: moved.map((p) => p.sessionId) });
    for (const p of moved) {
      delete f.placements[p.sessionId];
      f.outbox.push({ kind: 'nodeLost', sessionId: p.sessionId, node: n.name, epoch: p.epoch, lastSeenMs: n.lastSeenMs, atMs: nowMs });
    }
    f.waiting = [...moved.map((p) => ({ sessionId: p.sessionId, gpus: p.gpus, sinceMs: nowMs })), ...f.waiting];
  }
  if (lost.length > 0) placeWaiting(f, nowMs);
  return lost;
}

/** When the next live node would be declared lost if it is not heard from (Infinity: none). */
export function nextLossCheckMs(f: FleetState): number {
  const due = Object.values(f.nodes)
    .filter((n) => n.lostAtMs === null)
    .map((n) => n.lastSeenMs + f.lossAfterMs);
  return due.length ? Math.min(...due) : Infinity;
}

export interface NodeView {
  name: string;
  gpus: number;
  freeGpus: number;
  state: 'up' | 'lost';
  lastSeen: string;
  sessions: string[];
}

export interface FleetView {
  nodes: NodeView[];
  waiting: { sessionId: string; gpus: number; since: string }[];
  lossAfterSeconds: number;
  losses: FleetState['losses'];
}

export function fleetView(f: FleetState): FleetView {
  return {
    nodes: Object.values(f.nodes)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => ({
        name: n.name,
        gpus: n.gpus,
        freeGpus: freeGpus(f, n.name),
        state: n.lostAtMs === null ? 'up' : 'lost',
        lastSeen: new Date(n.lastSeenMs).toISOString(),
        sessions: placedOn(f, n.name),
      })),
    waiting: f.waiting.map((w) => ({ sessionId: w.sessionId, gpus: w.gpus, since: new Date(w.sinceMs).toISOString() })),
    lossAfterSeconds: f.lossAfterMs / 1000,
    losses: f.losses,
  };
}
