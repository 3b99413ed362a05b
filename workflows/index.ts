export { benchmarkSession } from './session';
export { validateSubmission } from './validation';
export { nanogptFleet } from './fleet';
