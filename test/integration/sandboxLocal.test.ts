import { LocalSandbox } from '../../src/sandbox/local';
import { sandboxConformance } from '../helpers/sandboxConformance';

sandboxConformance('local', {
  make: async () => new LocalSandbox(),
  again: () => new LocalSandbox(),
});
