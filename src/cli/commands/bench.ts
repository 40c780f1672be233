import type { RbenchCommand } from '../main.js';
import { UsageError } from '../../errors.js';

// Placeholder: replaced by the issue that implements `rbench bench`.
export const benchCommand: RbenchCommand = {
  command: 'bench',
  describe: '(not yet implemented)',
  builder: (y) => y,
  handler: async () => {
    throw new UsageError('`rbench bench` is not implemented yet.');
  },
};
