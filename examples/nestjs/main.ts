/**
 * flowtrail in a NestJS application: `npx tsc -p tsconfig.run.json && node build/examples/nestjs/main.js`.
 * In an application of your own, import from 'flowtrail' and 'flowtrail/nestjs'; with
 * `@nestjs/typeorm`, build the store on its DataSource:
 * `FlowtrailModule.forRootAsync({ inject: [DataSource], useFactory: (dataSource) => ({ store: { dataSource } }) })`.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExecutionStore, LoggedNode, LoggedWorkflow } from '../../src';
import { FlowtrailModule } from '../../src/nestjs';

@Injectable()
class ChargeCard {
  readonly id = 'charge-card';
  readonly type = 'payment';

  @LoggedNode()
  async execute(order: { orderId: string; amount: number; cardToken: string }) {
    return { orderId: order.orderId, charged: order.amount };
  }
}

@Injectable()
class CheckoutService {
  readonly id = 'checkout';
  readonly name = 'Checkout';

  constructor(private readonly chargeCard: ChargeCard) {}

  @LoggedWorkflow({ triggerType: 'webhook' })
  async run(order: { orderId: string; amount: number; cardToken: string }) {
    return this.chargeCard.execute(order);
  }
}

@Module({
  imports: [FlowtrailModule.forRoot({ store: { database: './.flowtrail/nestjs-example.sqlite' } })],
  providers: [ChargeCard, CheckoutService],
})
class AppModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  app.enableShutdownHooks(); // SIGTERM/SIGINT close the app, and so write the tail of the history
  await app.get(CheckoutService).run({ orderId: 'o-1001', amount: 42, cardToken: 'tok_secret' });

  await app.close(); // shuts the logger down (writes what is queued), then closes the store

  const reader = await ExecutionStore.open({ database: './.flowtrail/nestjs-example.sqlite', readOnly: true });
  const { items } = await reader.listExecutions({ workflowId: 'checkout', limit: 1 });
  console.dir(await reader.getExecution(items[0]!.id, { steps: true }), { depth: null });
  await reader.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
