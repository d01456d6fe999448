import { EXIT_OK } from '../io.ts';
import { scenarioSchema } from '../scenario/schema.ts';
import { type CommandSpec, PLUGIN_OPTION } from './command.ts';

/** `sim schema`: the JSON Schema of scenario files (with the options of the --plugin modules' plugins). */
export const schemaCommand: CommandSpec = {
  name: 'schema',
  args: '',
  maxArgs: 0,
  summary: 'the JSON Schema of scenario files',
  description:
    'Prints the JSON Schema that scenario files are checked against (scenario.schema.json in the package); editors that use yaml-language-server complete and check scenario files with it.',
  options: { plugin: PLUGIN_OPTION },
  run(ctx) {
    ctx.io.stdout.write(`${JSON.stringify(scenarioSchema(ctx.registry), null, 2)}\n`);
    return EXIT_OK;
  },
};
