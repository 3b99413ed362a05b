/**
 * Every CPU benchmark in one go (`npm run bench`); the GPU node's is bench/gpuNode.ts. The load on
 * one worker (bench/load.ts, ten minutes of a loaded machine) runs on its own: `npm run bench:load`.
 */
import { run as parseAndVerdict } from './parseAndVerdict';
import { run as sandboxOverhead } from './sandboxOverhead';
import { run as agentSandbox } from './agentSandbox';
import { run as sequentialPolicy } from './sequentialPolicy';
import { run as reportRender } from './reportRender';
import { run as headlineSimulation } from './headlineSimulation';
import { run as workspaceCheckpoint } from './workspaceCheckpoint';

async function main(): Promise<void> {
  console.log('\n## log parsing and verdict statistics\n');
  await parseAndVerdict();
  console.log('\n## sandbox overhead per run\n');
  await sandboxOverhead();
  console.log('\n## agent sandbox: per session, per submission, per model API request\n');
  await agentSandbox();
  console.log('\n## retime policies\n');
  sequentialPolicy(2000);
  console.log('\n## report rendering\n');
  await reportRender();
  console.log("\n## the headline: winner's curse, drift and screening (issue 14)\n");
  headlineSimulation(2000);
  console.log('\n## checkpoints of a node-local workspace (issue 15)\n');
  await workspaceCheckpoint();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
