import type { RbenchCommand } from '../main.js';
import { UsageError } from '../../errors.js';

// Placeholder: replaced by the issue that implements `rbench eval`.
export const evalCommand: RbenchCommand = {
  command: 'eval',
  describe: '(not yet implemented)',
  builder: (y) => y,
  handler: async () => {
    throw new UsageError('`rbench eval` is not implemented yet.');
  },
};
