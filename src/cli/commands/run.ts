import type { RbenchCommand } from '../main.js';
import { UsageError } from '../../errors.js';

// Placeholder: replaced by the issue that implements `rbench run`.
export const runCommand: RbenchCommand = {
  command: 'run',
  describe: '(not yet implemented)',
  builder: (y) => y,
  handler: async () => {
    throw new UsageError('`rbench run` is not implemented yet.');
  },
};
