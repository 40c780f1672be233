/**
 * How a command module declares itself. Type-only use of yargs: `rbench eval`'s fast path imports a command
 * module without loading yargs.
 */
import type { ArgumentsCamelCase, Argv } from 'yargs';

/** A command module: registers itself on the parser; its handler's exit code goes to `setExit`. */
export interface RbenchCommand {
  register<A>(y: Argv<A>, setExit: (code: number) => void): Argv<A>;
}

/**
 * Declares a command with its options typed from the builder: the handler receives exactly the arguments
 * the builder declares (camel-cased too), no casts.
 */
export function defineCommand<T>(c: {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv<T>;
  handler: (argv: ArgumentsCamelCase<T>) => Promise<number | void>;
}): RbenchCommand {
  return {
    register: <A>(y: Argv<A>, setExit: (code: number) => void) =>
      y.command(c.command, c.describe, c.builder, async (argv) => {
        const code = await c.handler(argv);
        setExit(typeof code === 'number' ? code : 0);
      }),
  };
}
