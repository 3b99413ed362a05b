import { MAIN_SCRIPT } from './checkUtil';
import type { FileFacts } from './scriptFacts';

type Hyper = FileFacts['hyper'][number];
const hyperKey = (h: Hyper) => (h.value !== null ? `=${JSON.stringify(h.value)}` : `~${h.source}`);
const showHyper = (h: Hyper) => `${h.name} = ${h.source} (${MAIN_SCRIPT}:${h.line})`;

/** Candidate settings of `names` must be exactly the anchor's: none added, none changed, none dropped. */
export function compareHyper(anchor: FileFacts, cand: FileFacts, names: string[]): { changed: string[]; dropped: string[] } {
  const pick = (f: FileFacts) => f.hyper.filter((h) => names.includes(h.name));
  const a = pick(anchor);
  const c = pick(cand);
  const aKeys = new Set(a.map((h) => `${h.name}${hyperKey(h)}`));
  const cKeys = new Set(c.map((h) => `${h.name}${hyperKey(h)}`));
  const changed = c.filter((h) => !aKeys.has(`${h.name}${hyperKey(h)}`)).map(showHyper);
  const dropped = a.filter((h) => !cKeys.has(`${h.name}${hyperKey(h)}`)).map((h) => `${h.name} = ${h.source} (anchor ${MAIN_SCRIPT}:${h.line})`);
  return { changed, dropped };
}
