import { transformSync as babelTransform } from '@babel/core';
import { transformSync as swcTransform, type Options as SwcOptions } from '@swc/core';
import { transformSync as esbuildTransform } from 'esbuild';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expectConsumerReport, fixtureDir, fixtureRoot, repoRoot, runFixture } from './support/consumerFixture';

/**
 * The consumer project compiled as users compile decorators other than with tsc (tsc is in
 * decorators.test.ts): esbuild (what tsx runs), tsx itself, SWC with each decorator version it
 * offers, Babel with legacy and 2023-11 decorators. Each output runs against the built package
 * and must record the same history. And a user's own Vitest test of a decorated workflow.
 */

const entry = join(repoRoot, fixtureDir, 'index.ts');
const source = readFileSync(entry, 'utf8');
const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Writes compiled fixture code where it finds `../../../dist`, runs it, and checks what it recorded. */
async function expectRecords(code: string): Promise<void> {
  const root = fixtureRoot();
  roots.push(root);
  const compiled = join(root, fixtureDir, 'index.js');
  writeFileSync(compiled, code);
  expectConsumerReport(await runFixture(compiled));
}

const esbuild = (experimentalDecorators: boolean) =>
  esbuildTransform(source, { loader: 'ts', format: 'cjs', target: 'es2022', tsconfigRaw: { compilerOptions: { experimentalDecorators } } })
    .code;

const swc = (transform: NonNullable<NonNullable<SwcOptions['jsc']>['transform']>) =>
  swcTransform(source, {
    filename: 'index.ts',
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022', transform },
    module: { type: 'commonjs' },
    swcrc: false,
  }).code;

const babel = (version: 'legacy' | '2023-11') =>
  babelTransform(source, {
    filename: 'index.ts',
    babelrc: false,
    configFile: false,
    presets: ['@babel/preset-typescript'],
    plugins: [['@babel/plugin-proposal-decorators', { version }], '@babel/plugin-transform-modules-commonjs'],
  })!.code!;

test.each([
  ['esbuild, experimentalDecorators', () => esbuild(true)],
  ['esbuild, standard decorators', () => esbuild(false)],
  ['SWC, legacy decorators with metadata', () => swc({ legacyDecorator: true, decoratorMetadata: true })],
  ['SWC, 2022-03 decorators', () => swc({ decoratorVersion: '2022-03' })],
  ['SWC, 2023-11 decorators', () => swc({ decoratorVersion: '2023-11' })],
  ['Babel, legacy decorators', () => babel('legacy')],
  ['Babel, 2023-11 decorators', () => babel('2023-11')],
])('%s: the compiled workflow records the same history', async (_toolchain, compile) => {
  await expectRecords(compile());
});

test.each([
  ['experimentalDecorators', 'tsconfig.legacy.json'],
  ['standard decorators', 'tsconfig.standard.json'],
])('tsx runs the TypeScript source with %s and it records the same history', async (_setting, tsconfig) => {
  const tsx = require.resolve('tsx/cli');
  expectConsumerReport(await runFixture(entry, [tsx, '--tsconfig', join(repoRoot, fixtureDir, tsconfig)]));
});

test("a user's own Vitest test of a decorated workflow passes (__tests__/fixtures/vitest)", async () => {
  const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [vitest, 'run', '--root', join(repoRoot, '__tests__', 'fixtures', 'vitest')],
    {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    },
  );
  expect(stdout).toMatch(/Tests\s+1 passed/);
});

/**
 * TypeScript 7 is installed beside the repository (`.ci/typescript7`, not committed) on first use,
 * from the npm registry: as a devDependency its `tsc` command would replace TypeScript 5's in
 * node_modules/.bin, which the build and ts-jest need.
 */
const TYPESCRIPT_7 = '7.0.2';

async function typescript7(): Promise<string> {
  const prefix = join(repoRoot, '.ci', 'typescript7');
  const tsc = join(prefix, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const args = ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `typescript@${TYPESCRIPT_7}`];
    await promisify(execFile)(npm, args, { cwd: repoRoot });
  }
  return tsc;
}

test.each([
  ['experimentalDecorators with metadata', 'tsconfig.ts7-legacy.json'],
  ['standard decorators', 'tsconfig.ts7-standard.json'],
])(
  `TypeScript ${TYPESCRIPT_7} compiles the fixture with %s, without a diagnostic, and it records the same history`,
  async (_setting, tsconfig) => {
    const tsc = await typescript7();
    const root = fixtureRoot();
    roots.push(root);
    const outDir = join(root, fixtureDir);
    // TypeScript 7 dropped `moduleResolution: node`: these tsconfigs are the fixture's others with `nodenext`.
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', join(repoRoot, fixtureDir, tsconfig), '--outDir', outDir], {
      cwd: repoRoot,
    });
    expect(stdout).toBe('');
    expectConsumerReport(await runFixture(join(outDir, 'index.js')));
  },
  120_000,
);
