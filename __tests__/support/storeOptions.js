// ExecutionStore.open() options for a child process, from the database its test names: a
// PostgreSQL URL (with the test's schema), a MySQL URL, or a SQLite file path.
exports.storeOptionsFor = (target, schema) => {
  if (target.startsWith('postgres')) return { url: target, schema, poolSize: 2 };
  if (target.startsWith('mysql')) return { url: target, poolSize: 2 };
  return { database: target };
};
