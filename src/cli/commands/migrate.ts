import { commonOptions, noPositionals, type Command, type CommandSpec } from '../args';
import { withStore } from '../openStore';

const spec: CommandSpec = {
  name: 'migrate',
  summary: "Bring a history's schema up to date with this version of flowtrail.",
  description:
    'Applies the migrations this version ships that the history has not had yet. Read commands\n' +
    'never migrate (they read a history as it is); a logger or `prune` does it when it opens one.\n' +
    'Only a database that already holds a flowtrail history is changed.',
  options: [...commonOptions],
  examples: ['flowtrail migrate', 'flowtrail migrate --db app/history.sqlite', 'flowtrail migrate --url postgres://user@db/app --json'],
};

/** `flowtrail migrate`: the store's pending migrations, applied. */
export const migrateCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    let applied: string[] = [];
    // Quietly: the note that migrations are pending is what this command answers.
    await withStore(args, { env: context.env, warn: () => undefined }, 'read', async (store) => {
      applied = await store.pendingMigrations();
    });
    // Opening for writing applies them; what was pending is what got applied.
    if (applied.length > 0) await withStore(args, context, 'write', async () => undefined);
    if (args.flag('json')) context.print(`${JSON.stringify({ applied })}\n`);
    else if (applied.length === 0) context.print('The history is up to date: nothing to migrate.\n');
    else context.print(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}\n`);
  },
};
