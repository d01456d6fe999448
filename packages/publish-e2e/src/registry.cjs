// A throwaway npm registry for the end-to-end install test: Verdaccio on 127.0.0.1 with an ephemeral port, its
// storage in the directory given as argv[2], no uplinks (nothing but what the test publishes can be installed),
// publishing open to anyone with a token. Prints {"port":N} on stdout once listening; exits when its stdin closes
// (the test ended, or died) or on SIGTERM.
const { join } = require('node:path');
const { runServer } = require('verdaccio');

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node registry.cjs <storage dir>\n');
  process.exit(2);
}

const everyone = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };

runServer({
  self_path: dir,
  storage: join(dir, 'storage'),
  auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
  uplinks: {},
  packages: { '@sim/*': everyone, '**': everyone },
  server: { keepAliveTimeout: 0 },
  log: { type: 'stdout', format: 'pretty', level: 'error' },
}).then(
  (app) => {
    const server = app.listen(0, '127.0.0.1', () => {
      process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
    });
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.stdin.on('end', stop);
    process.stdin.resume();
  },
  (e) => {
    process.stderr.write(`registry: ${e?.stack ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
