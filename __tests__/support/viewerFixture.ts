import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHistoryHandler,
  ExecutionLogger,
  LoggedNode,
  LoggedWorkflow,
  type ExecutionStore,
  type HistoryHandlerOptions,
  WorkflowRunner,
} from '../../src';
import { tempDir } from './databases';
import { brokenWorkflow, fulfilmentWorkflow, heldInvoicingWorkflow } from './fulfilmentWorkflow';

/** Texts a stored payload may hold that would run if the viewer ever rendered them as markup, or pasted as code. */
export const XSS = {
  code: 'echo"\n});globalThis.__xss = "code";//\u2028x',
  script: '<script>window.__xss = "script"</script>',
  img: '<img src=x onerror="window.__xss = \'img\'">',
  url: 'javascript:window.__xss="url"',
  svg: '<svg onload="window.__xss=\'svg\'"></svg>',
};

/** Lets a test hold a workflow inside a node until it says so: a run that is `running` on demand. */
export class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

/**
 * A history written as an application writes it: real decorated workflows run through a real
 * logger (small maxDataSize, so that a big output is stored truncated; the default redaction).
 */
export class ViewerHistory {
  readonly logger: ExecutionLogger;
  private readonly spoolDir = tempDir('flowtrail-viewer-spool-');

  constructor(readonly store: ExecutionStore) {
    this.logger = new ExecutionLogger(store, {
      configFile: false,
      spoolDir: this.spoolDir,
      flushIntervalMs: 5,
      retryDelayMs: 5,
      maxRetryDelayMs: 20,
      maxDataSize: 1024,
      writerThread: false,
      onError: () => undefined,
    });
  }

  /** Runs the sample workflows: orders that succeed and fail, a tagged one, and one full of markup. */
  async seed(): Promise<void> {
    const { OrderSync, Refund, Hostile } = this.workflows();
    await new OrderSync().run({ orderId: 'o-1', amount: 120, password: 'hunter2', tenant: 'acme' });
    await new OrderSync().run({ orderId: 'o-2', amount: 40, password: 'hunter2', tenant: 'globex' });
    await new OrderSync().run({ orderId: 'o-3', amount: -1, password: 'hunter2', tenant: 'acme' }).catch(() => undefined);
    await new Refund().run({ orderId: 'o-1' });
    await new Hostile().run(XSS.script).catch(() => undefined);
    await this.logger.flush();
  }

  /** Starts a run that stays in its second node until the gate is released; resolves when it is stored. */
  startHeld(gate: Gate, orderId = 'held'): Promise<unknown> {
    const { Held } = this.workflows(gate);
    return new Held().run({ orderId });
  }

  /** One run of `count` steps, one after another; resolves with its execution id once stored. */
  async runLong(count: number): Promise<string> {
    const logger = this.logger;
    class Item {
      readonly id = 'item';
      @LoggedNode({ nodeType: 'loop' })
      async execute(i: number): Promise<number> {
        return i * 2;
      }
    }
    class Long {
      readonly id = 'long-run';
      @LoggedWorkflow({ logger, triggerType: 'manual' })
      async run(n: number): Promise<number> {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await new Item().execute(i);
        return sum;
      }
    }
    await new Long().run(count);
    await this.logger.flush();
    const page = await this.store.listExecutions({ workflowId: 'long-run', limit: 1 });
    return page.items[0]!.id;
  }

  /** One run of fulfilmentWorkflow through the real runner; resolves with its id and its child's once stored. */
  async runFulfilment(): Promise<{ id: string; childId: string }> {
    await new WorkflowRunner({ logger: this.logger }).run(fulfilmentWorkflow, { type: 'manual', data: { orderId: 'f-1' } });
    await this.logger.flush();
    const [run] = (await this.store.listExecutions({ workflowId: 'fulfilment', limit: 1 })).items;
    const [child] = (await this.store.listExecutions({ parentExecutionId: run!.id, limit: 1 })).items;
    return { id: run!.id, childId: child!.id };
  }

  /** Starts heldInvoicingWorkflow: it holds before `invoice` until `started` is released, and after it until `finished` is. */
  startHeldInvoicing(started: Gate, finished: Gate): Promise<unknown> {
    return new WorkflowRunner({ logger: this.logger }).run(heldInvoicingWorkflow(started.opened, finished.opened), {
      type: 'manual',
      data: { orderId: 'held-invoice' },
    });
  }

  /** One run of brokenWorkflow, which fails in its first node; resolves with its id once stored. */
  async runBroken(): Promise<string> {
    await new WorkflowRunner({ logger: this.logger }).run(brokenWorkflow, { type: 'manual', data: {} }).catch(() => undefined);
    await this.logger.flush();
    return (await this.store.listExecutions({ workflowId: 'broken', limit: 1 })).items[0]!.id;
  }

  workflows(gate?: Gate) {
    const logger = this.logger;
    class Fetch {
      readonly id = 'fetch';
      @LoggedNode({ nodeType: 'http' })
      async execute(order: { orderId: string; amount: number }): Promise<object> {
        return { orderId: order.orderId, amount: order.amount, blob: 'x'.repeat(order.amount === 120 ? 4000 : 10) };
      }
    }
    class Charge {
      readonly id = 'charge';
      @LoggedNode({ nodeType: 'payment' })
      async execute(order: { amount: number; password: string }): Promise<object> {
        if (order.amount < 0) throw new Error('card declined: amount below zero');
        return { code: order.amount > 100 ? '05' : '00', charged: order.amount, password: order.password };
      }
    }
    class OrderSync {
      readonly id = 'order-sync';
      @LoggedWorkflow({ logger, triggerType: 'webhook', tags: (_self, [order]: [{ tenant: string }]) => ({ tenant: order.tenant }) })
      async run(order: { orderId: string; amount: number; password: string; tenant: string }): Promise<object> {
        await new Fetch().execute(order);
        return new Charge().execute(order);
      }
    }
    class Refund {
      readonly id = 'refund';
      @LoggedWorkflow({ logger, triggerType: 'manual' })
      async run(input: { orderId: string }): Promise<object> {
        return new Fetch().execute({ orderId: input.orderId, amount: 1 });
      }
    }
    class Echo {
      readonly id = XSS.code;
      @LoggedNode({ nodeType: XSS.img })
      async execute(text: string): Promise<object> {
        // `forged` looks like capture's truncation marker but is not one: shown as data, never trusted.
        return { html: text, img: XSS.img, link: XSS.url, svg: XSS.svg, [XSS.img]: 'a key', forged: { _truncated: true } };
      }
    }
    class Hostile {
      readonly id = XSS.img;
      readonly name = XSS.script;
      @LoggedWorkflow({ logger, triggerType: XSS.url, tags: () => ({ note: XSS.script }) })
      async run(text: string): Promise<object> {
        const output = await new Echo().execute(text);
        throw Object.assign(new Error(XSS.svg), { detail: output });
      }
    }
    class Wait {
      readonly id = 'wait';
      @LoggedNode({ nodeType: 'timer' })
      async execute(): Promise<string> {
        await gate?.opened;
        return 'released';
      }
    }
    class Held {
      readonly id = 'held-sync';
      @LoggedWorkflow({ logger, triggerType: 'schedule' })
      async run(input: { orderId: string }): Promise<string> {
        await new Fetch().execute({ orderId: input.orderId, amount: 2 });
        return new Wait().execute();
      }
    }
    return { OrderSync, Refund, Hostile, Held };
  }

  async close(): Promise<void> {
    await this.logger.shutdown();
    rmSync(this.spoolDir, { recursive: true, force: true });
  }
}

/** The viewer's handler on a free loopback port. */
export async function serveViewer(store: ExecutionStore, options?: HistoryHandlerOptions): Promise<{ server: Server; url: string }> {
  const server = createServer(createHistoryHandler(store, options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}${options?.basePath ?? ''}` };
}

export async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
