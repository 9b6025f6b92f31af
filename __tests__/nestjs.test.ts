import 'reflect-metadata';
import { Injectable, SetMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { ExecutionLogger, ExecutionStore, executionHistoryEntities, executionHistoryMigrations, LoggedNode, LoggedWorkflow } from '../src';
import { FlowtrailModule } from '../src/nestjs';
import { repoRoot } from './support/consumerFixture';
import { tempDir, userSqliteOptions } from './support/databases';

/**
 * A real NestJS application (an application context: no HTTP server is needed to inject and run
 * providers) whose providers carry flowtrail's decorators beside Nest's own, the history read
 * back through the injected store, and the tail written when the application closes.
 */

@Injectable()
class ChargeNode {
  readonly id = 'charge';
  readonly type = 'payment';

  @LoggedNode()
  async execute(order: { amount: number }): Promise<{ charged: number }> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { charged: order.amount };
  }
}

@Injectable()
class CheckoutService {
  readonly id = 'checkout';
  readonly name = 'Checkout';

  constructor(private readonly charge: ChargeNode) {}

  @LoggedWorkflow({ triggerType: 'webhook' })
  @SetMetadata('role', 'cashier')
  async run(order: { amount: number }): Promise<{ charged: number }> {
    return this.charge.execute(order);
  }
}

describe('FlowtrailModule in a NestJS application', () => {
  afterEach(() => ExecutionLogger.setDefault(null));

  test('forRoot: providers are recorded, the store and logger are injectable, and closing the app writes the tail', async () => {
    const database = join(tempDir('flowtrail-nest-'), 'history.sqlite');
    const app = await NestFactory.createApplicationContext(
      {
        module: class AppModule {},
        imports: [FlowtrailModule.forRoot({ store: { database }, logger: { configFile: false } })],
        providers: [ChargeNode, CheckoutService],
      },
      { logger: false },
    );
    const logger = app.get(ExecutionLogger);
    expect(ExecutionLogger.getDefault()).toBe(logger);
    // Nest's own metadata on the decorated method is still there.
    expect(Reflect.getMetadata('role', CheckoutService.prototype.run)).toBe('cashier');

    const results = await Promise.all([10, 20, 30].map((amount) => app.get(CheckoutService).run({ amount })));
    expect(results).toEqual([{ charged: 10 }, { charged: 20 }, { charged: 30 }]);
    // Nothing flushed by hand: closing the application writes what is queued.
    await app.close();
    expect(logger.stats()).toMatchObject({ queued: 0, dropped: 0 });

    const store = await ExecutionStore.open({ database, readOnly: true });
    try {
      const { items } = await store.listExecutions();
      expect(items.map((execution) => [execution.workflowId, execution.workflowName, execution.triggerType, execution.status])).toEqual([
        ['checkout', 'Checkout', 'webhook', 'success'],
        ['checkout', 'Checkout', 'webhook', 'success'],
        ['checkout', 'Checkout', 'webhook', 'success'],
      ]);
      const steps = await store.getStepsOf(items.map((execution) => execution.id));
      expect([...steps.values()].flat().map((step) => [step.nodeId, step.nodeType, step.status])).toEqual([
        ['charge', 'payment', 'success'],
        ['charge', 'payment', 'success'],
        ['charge', 'payment', 'success'],
      ]);
    } finally {
      await store.close();
    }
  });

  test("forRootAsync: the store writes through the application's own DataSource, which the module leaves open", async () => {
    const dataSource = new DataSource({
      ...userSqliteOptions('sqlite', join(tempDir('flowtrail-nest-'), 'app.sqlite')),
      entities: [...executionHistoryEntities],
      migrations: [...executionHistoryMigrations],
    });
    await dataSource.initialize();
    try {
      const app = await NestFactory.createApplicationContext(
        {
          module: class AppModule {},
          imports: [
            FlowtrailModule.forRootAsync({
              inject: [DataSource],
              useFactory: (source: DataSource) => ({ store: { dataSource: source }, logger: { configFile: false } }),
              imports: [
                {
                  module: class DataModule {},
                  global: true,
                  providers: [{ provide: DataSource, useValue: dataSource }],
                  exports: [DataSource],
                },
              ],
            }),
          ],
          providers: [ChargeNode, CheckoutService],
        },
        { logger: false },
      );
      const store = app.get(ExecutionStore);
      expect(store.dataSource).toBe(dataSource);
      expect(await app.get(CheckoutService).run({ amount: 7 })).toEqual({ charged: 7 });
      await app.close();
      expect(dataSource.isInitialized).toBe(true);
      const [row] = await dataSource.query("SELECT COUNT(*) AS steps FROM execution_steps WHERE status = 'success'");
      expect(Number(row.steps)).toBe(1);
    } finally {
      await dataSource.destroy();
    }
  });
});

test("the package entry 'flowtrail/nestjs' resolves to the built module, beside 'flowtrail'", async () => {
  const project = tempDir('flowtrail-nest-consumer-');
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(repoRoot, join(project, 'node_modules', 'flowtrail'), 'dir');
  const script =
    "const n = require('flowtrail/nestjs'); const f = require('flowtrail'); console.log(typeof n.FlowtrailModule.forRoot, typeof f.ExecutionLogger)";
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: project });
  expect(stdout.trim()).toBe('function function');
});
