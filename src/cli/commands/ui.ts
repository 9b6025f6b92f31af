import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { CliError, commonOptions, noPositionals, parseInteger, UsageError, type Command, type CommandSpec } from '../args';
import { withStore } from '../openStore';
import { MIN_TOKEN_LENGTH } from '../../ui/tokenGate';

/** The port `flowtrail ui` listens on when `--port` names none. */
export const DEFAULT_UI_PORT = 4848;

const spec: CommandSpec = {
  name: 'ui',
  summary: 'Serve the history viewer in the browser (read-only, on 127.0.0.1 unless --host says otherwise).',
  description:
    `Prints the URL to open. Listens on 127.0.0.1:${DEFAULT_UI_PORT} unless told otherwise, and opens the history\n` +
    'read-only: the viewer changes nothing. On any other address than loopback it refuses to start\n' +
    'without --token (or FLOWTRAIL_UI_TOKEN): then every request needs the token, which the printed\n' +
    'URL carries once and the browser keeps in a cookie. Runs until Ctrl-C.',
  options: [
    {
      name: 'port',
      short: 'p',
      type: 'string',
      value: 'n',
      description: `port to listen on, 0 for any free one (default ${DEFAULT_UI_PORT})`,
    },
    { name: 'host', type: 'string', value: 'address', description: 'address to listen on (default 127.0.0.1)' },
    {
      name: 'token',
      type: 'string',
      value: 'secret',
      description: `require this token, ${MIN_TOKEN_LENGTH}+ characters (needed off loopback; default $FLOWTRAIL_UI_TOKEN, which keeps it out of ps)`,
    },
    ...commonOptions,
  ],
  examples: [
    'flowtrail ui',
    'flowtrail ui --port 8080 --db ./.flowtrail/history.sqlite',
    'FLOWTRAIL_UI_TOKEN="$(openssl rand -hex 16)" flowtrail ui --host 0.0.0.0',
  ],
};

/** `flowtrail ui`: the viewer of docs/viewer.md on a local port, until Ctrl-C. */
export const uiCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    const port = parseInteger(args.string('port') ?? String(DEFAULT_UI_PORT), '--port', 0, 65535);
    const host = args.string('host') ?? '127.0.0.1';
    const token = args.string('token') ?? (context.env.FLOWTRAIL_UI_TOKEN || undefined);
    if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
      throw new UsageError(`the token is too short to guard anything: use ${MIN_TOKEN_LENGTH} characters or more (openssl rand -hex 16)`);
    }
    if (!isLoopback(host) && token === undefined) {
      throw new UsageError(
        `--host ${host} lets other machines reach the history: give --token (or FLOWTRAIL_UI_TOKEN) too, or keep the default 127.0.0.1`,
      );
    }
    await withStore(args, context, 'read', async (store) => {
      // Loaded here, as the store is: --help and usage errors stay fast.
      const { createHistoryHandler, loopbackHostGate, tokenGate } = await import('../../ui');
      const handler = createHistoryHandler(store);
      // Without a token, the address is the only guard: only requests made to a loopback name pass.
      const server = createServer(token === undefined ? loopbackHostGate(handler) : tokenGate(token, handler));
      await listen(server, port, host);
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      const url = `http://${shownHost}:${bound}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
      if (args.flag('json')) context.print(`${JSON.stringify({ url, target: store.target })}\n`);
      else context.print(`flowtrail viewer: ${url}\n`);
      context.warn(`flowtrail: serving ${store.target} read-only (Ctrl-C to stop)\n`);
      await stopSignal();
      // Live streams hold their connections open: end them, so that close() returns now.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    });
  },
};

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is in use (pass --port another, or --port 0 for any free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`cannot listen on ${host}: no such address here`);
    if (code === 'EACCES') throw new CliError(`not allowed to listen on port ${port} (ports below 1024 need privileges)`);
    throw error;
  }
}

/** Resolves on the first Ctrl-C or SIGTERM; a second one finds no handler and kills the process. */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** 127.0.0.0/8, ::1 and `localhost`: what only this machine reaches. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}
