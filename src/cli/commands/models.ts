import type { RbenchCommand } from '../main.js';
import { UsageError } from '../../errors.js';

// Placeholder: replaced by the issue that implements `rbench models`.
export const modelsCommand: RbenchCommand = {
  command: 'models',
  describe: '(not yet implemented)',
  builder: (y) => y,
  handler: async () => {
    throw new UsageError('`rbench models` is not implemented yet.');
  },
};
