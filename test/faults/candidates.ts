import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FASTRUN } from '../helpers/harness';
import { BAD, editFile, type Mutate } from '../helpers/badCandidates';
import { layout } from '../../src/files/layout';
import { scanTree, treeHash } from '../../src/files/tree';

const bad = (name: string): Mutate => BAD.find((b) => b.name === name)!.mutate;

/**
 * The candidates the suite submits: a good one, the training runs that misbehave, and the ones
 * that probe the sandbox's walls. `reason` is what the verdict must say when it rejects; null
 * when the candidate may pass (what is checked for it lies elsewhere, as orphans for `fork`).
 */
export const CANDIDATES: Record<string, { mutate: Mutate; reason: RegExp | null }> = {
  good: { mutate: () => undefined, reason: null },
  hang: { mutate: bad('hang'), reason: /timed out after \d+ s/ },
  crash: { mutate: bad('crash-at-step-3'), reason: /exited with code/ },
  nan: { mutate: bad('nan-loss'), reason: /nan|non-finite|not finite/i },
  flood: { mutate: bad('ten-gb-output'), reason: /more than \d+ bytes of output/ },
  'writes-outside': { mutate: bad('writes-outside'), reason: /changed the frozen candidate/ },
  // A child in a session of its own, so a kill of the run's process group does not reach it (spelled
  // so the rules judge does not see it: the run itself must be what keeps it from outliving it).
  fork: {
    mutate: (d) =>
      editFile(d, 'train_gpt.py', (t) =>
        t.replace(
          'if rank == 0:\n    print("peak memory',
          'if rank == 0:\n    pid = getattr(os, "fo" + "rk")()\n    if pid == 0:\n        getattr(os, "set" + "sid")()\n        time.sleep(900)\n        os._exit(0)\n    print("peak memory',
        ),
      ),
    reason: null,
  },
};
export type CandidateKind = keyof typeof CANDIDATES;

/** Writes candidate `name` of `kind` into the session's workspace, marked for the judge's API; returns its marker and content hash. */
export async function writeCandidate(sessionId: string, name: string, kind: CandidateKind): Promise<{ path: string; marker: string; contentHash: string }> {
  const dir = join(layout.workspace(sessionId), 'submissions', name);
  const marker = `${sessionId}.${name}`;
  // The suite writes as an agent would, beside the disk-full fault striking another session: a
  // full disk makes it wait and write again, as an agent would, rather than end the suite.
  for (let attempt = 1; ; attempt++) {
    try {
      // The fastest record: its lead over the anchor stays clear of the noise of a loaded machine.
      cpSync(join(FASTRUN, 'records', '02_fastest'), dir, { recursive: true });
      CANDIDATES[kind].mutate(dir);
      const main = join(dir, 'train_gpt.py');
      writeFileSync(main, `# fault-marker:${marker}\n${readFileSync(main, 'utf8')}`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC' || attempt >= 120) throw err;
      rmSync(dir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { path: `submissions/${name}`, marker, contentHash: treeHash(await scanTree(dir)) };
}
