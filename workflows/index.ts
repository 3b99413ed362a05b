export { benchmarkSession } from './session';
export { validateSubmission } from './validation';
