// Bundles the compiled workflow code once at build time, so each worker starts in a second
// instead of running webpack on 2 cores at every start.
const { bundleWorkflowCode } = require('@temporalio/worker');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

bundleWorkflowCode({
  workflowsPath: join(__dirname, '..', 'dist', 'workflows', 'index.js'),
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
})
  .then(({ code }) => writeFileSync(join(__dirname, '..', 'dist', 'workflow-bundle.js'), code))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
