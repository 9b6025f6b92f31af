// Decides once per `jest` run whether the PostgreSQL and MariaDB/MySQL suites run. They are required on CI; locally,
// without a server, they are skipped and the run says so at the start and at the end.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { Client } = require('pg');

const url = process.env.FLOWTRAIL_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

module.exports = async () => {
  // Child-process tests run the built package, so build it once per run: a stale dist/ would test old code.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: join(__dirname, '..', '..'),
    stdio: 'inherit',
  });
  // The viewer's bundle (dist/ui/assets), which the handler serves and the browser suites load.
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-viewer.mjs')], { stdio: 'inherit' });
  checkBetterSqlite3();
  checkChromium();
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    process.env.FLOWTRAIL_TEST_PG_URL = url;
    process.env.FLOWTRAIL_TEST_PG = 'on';
  } catch (error) {
    if (process.env.CI) {
      throw new Error(`CI is set and PostgreSQL is not reachable at ${url}: ${error.message}`);
    }
    process.env.FLOWTRAIL_TEST_PG = 'skipped';
    process.stderr.write(banner(`PostgreSQL not reachable at ${url} (${error.message}): PostgreSQL suites SKIPPED`));
  } finally {
    await client.end().catch(() => undefined);
  }
  await checkMysql();
};

const mysqlUrl = process.env.FLOWTRAIL_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test';

/** The same for the MariaDB/MySQL suites. */
async function checkMysql() {
  const mysql = require('mysql2/promise');
  let connection;
  try {
    connection = await mysql.createConnection({ uri: mysqlUrl, connectTimeout: 3000 });
    const [[{ version }]] = await connection.query('SELECT VERSION() AS version');
    process.env.FLOWTRAIL_TEST_MYSQL_TYPE = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    process.env.FLOWTRAIL_TEST_MYSQL_URL = mysqlUrl;
    process.env.FLOWTRAIL_TEST_MYSQL = 'on';
  } catch (error) {
    if (process.env.CI) throw new Error(`CI is set and MariaDB/MySQL is not reachable at ${mysqlUrl}: ${error.message}`);
    process.env.FLOWTRAIL_TEST_MYSQL = 'skipped';
    process.stderr.write(banner(`MariaDB/MySQL not reachable at ${mysqlUrl} (${error.message}): MySQL suites SKIPPED`));
  } finally {
    await connection?.end().catch(() => undefined);
  }
}

// better-sqlite3 is built for one Node ABI (it is not Node-API): on another Node major its suites
// cannot run. Required unless FLOWTRAIL_TEST_BETTER_SQLITE3=optional (.ci/node-versions); else the
// run says it skipped them, as it does for PostgreSQL.
function checkBetterSqlite3() {
  try {
    new (require('better-sqlite3'))(':memory:').close();
    process.env.FLOWTRAIL_TEST_BETTER_SQLITE3 = 'on';
  } catch (error) {
    const reason = `better-sqlite3 does not load on Node ${process.version} (${error.message.split('\n')[0]})`;
    if (process.env.FLOWTRAIL_TEST_BETTER_SQLITE3 !== 'optional')
      throw new Error(`${reason}; set FLOWTRAIL_TEST_BETTER_SQLITE3=optional to run without it`);
    process.env.FLOWTRAIL_TEST_BETTER_SQLITE3 = 'skipped';
    process.stderr.write(banner(`${reason}: the better-sqlite3 suites SKIPPED`));
  }
}

// The viewer's browser suites drive Debian's Chromium through playwright-core (no browser download).
// Required on CI (.ci/run installs it); locally, without it, they are skipped and the run says so.
function checkChromium() {
  const path = process.env.FLOWTRAIL_TEST_CHROMIUM_PATH || '/usr/bin/chromium';
  if (require('node:fs').existsSync(path)) {
    process.env.FLOWTRAIL_TEST_CHROMIUM_PATH = path;
    process.env.FLOWTRAIL_TEST_CHROMIUM = 'on';
    return;
  }
  if (process.env.CI) throw new Error(`CI is set and there is no Chromium at ${path} (apt-get install -y chromium)`);
  process.env.FLOWTRAIL_TEST_CHROMIUM = 'skipped';
  process.stderr.write(banner(`no Chromium at ${path} (apt-get install -y chromium): the viewer's browser suites SKIPPED`));
}

function banner(text) {
  const line = '!'.repeat(Math.min(100, text.length + 8));
  return `\n${line}\n!!! ${text}\n${line}\n\n`;
}
module.exports.banner = banner;
