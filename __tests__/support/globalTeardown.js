const { banner } = require('./globalSetup');

module.exports = async () => {
  if (process.env.FLOWTRAIL_TEST_PG === 'skipped') {
    process.stderr.write(banner('Reminder: the PostgreSQL suites were SKIPPED (no server). CI requires them.'));
  }
  if (process.env.FLOWTRAIL_TEST_MYSQL === 'skipped') {
    process.stderr.write(banner('Reminder: the MariaDB/MySQL suites were SKIPPED (no server). CI requires them.'));
  }
};
