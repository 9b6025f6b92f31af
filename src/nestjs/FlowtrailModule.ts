import {
  Global,
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import type { LoggerConfig } from '../config/LoggerConfig';
import { ExecutionLogger } from '../logger/ExecutionLogger';
import { ExecutionStore } from '../store/ExecutionStore';
import type { ExecutionStoreOptions } from '../store/types';

/** How {@link FlowtrailModule} builds the history. */
export interface FlowtrailModuleOptions {
  /**
   * The store: options for `ExecutionStore.open()` — `{ dataSource }` for the application's own
   * TypeORM DataSource, a file, a URL; nothing for the embedded default — or a store already
   * open, which the module then never closes.
   */
  store?: ExecutionStoreOptions | ExecutionStore;
  /** The logger's settings (the config file and `FLOWTRAIL_*` variables apply as usual). */
  logger?: LoggerConfig;
  /** Make the logger the decorators' default (`ExecutionLogger.setDefault`). @default true */
  setDefault?: boolean;
}

/** {@link FlowtrailModule.forRootAsync}'s options: a factory, with what it injects. */
export interface FlowtrailModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: any[]) => FlowtrailModuleOptions | Promise<FlowtrailModuleOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
}

/** The injection token of the module's resolved options. */
export const FLOWTRAIL_OPTIONS = Symbol('FLOWTRAIL_OPTIONS');

const storeProvider: Provider = {
  provide: ExecutionStore,
  useFactory: (options: FlowtrailModuleOptions) =>
    options.store instanceof ExecutionStore ? options.store : ExecutionStore.open(options.store ?? {}),
  inject: [FLOWTRAIL_OPTIONS],
};

const loggerProvider: Provider = {
  provide: ExecutionLogger,
  useFactory: async (store: ExecutionStore, options: FlowtrailModuleOptions) => {
    const logger = new ExecutionLogger(store, options.logger);
    if (options.setDefault ?? true) ExecutionLogger.setDefault(logger);
    await logger.ready;
    return logger;
  },
  inject: [ExecutionStore, FLOWTRAIL_OPTIONS],
};

/**
 * flowtrail in a NestJS application: builds the store and the logger once, makes the logger the
 * one `@LoggedWorkflow` and `@LoggedNode` use, lets providers inject `ExecutionStore` and
 * `ExecutionLogger`, and writes the tail of the history when the application shuts down.
 *
 * The logger shuts down in `beforeApplicationShutdown`, before any module's
 * `onApplicationShutdown` (where `@nestjs/typeorm` destroys the DataSource the store may write
 * through); the store is closed after, unless it was handed in open.
 */
@Global()
@Module({})
export class FlowtrailModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ExecutionLogger) private readonly logger: ExecutionLogger,
    @Inject(ExecutionStore) private readonly store: ExecutionStore,
    @Inject(FLOWTRAIL_OPTIONS) private readonly options: FlowtrailModuleOptions,
  ) {}

  static forRoot(options: FlowtrailModuleOptions = {}): DynamicModule {
    return FlowtrailModule.build([{ provide: FLOWTRAIL_OPTIONS, useValue: options }]);
  }

  /** Options from a factory: `inject: [DataSource], useFactory: (dataSource) => ({ store: { dataSource } })`. */
  static forRootAsync(options: FlowtrailModuleAsyncOptions): DynamicModule {
    const optionsProvider: Provider = { provide: FLOWTRAIL_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] };
    return FlowtrailModule.build([optionsProvider], options.imports);
  }

  private static build(optionsProviders: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: FlowtrailModule,
      imports,
      providers: [...optionsProviders, storeProvider, loggerProvider],
      exports: [ExecutionStore, ExecutionLogger],
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.logger.shutdown();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!(this.options.store instanceof ExecutionStore)) await this.store.close();
  }
}
