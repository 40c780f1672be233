import type { RbenchCommand } from '../main.js';
import { UsageError } from '../../errors.js';

// Placeholder: replaced by the issue that implements `rbench datasets`.
export const datasetsCommand: RbenchCommand = {
  command: 'datasets',
  describe: '(not yet implemented)',
  builder: (y) => y,
  handler: async () => {
    throw new UsageError('`rbench datasets` is not implemented yet.');
  },
};
