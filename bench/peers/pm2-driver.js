// pm2-driver.js: drives pm2 through its programmatic API for bench/run. One JSON command per stdin line,
// one JSON answer per stdout line, so that the harness keeps one client (and one pm2 daemon) across the
// interleaved rounds. PM2_HOME must be set by the caller; the daemon lives there.
//
//   {"op":"hello"}                        answers at once, once pm2 is loaded -> {}
//   {"op":"connect"}                      starts (or joins) the daemon      -> {"pid":daemon pid}
//   {"op":"true","n":N,"clients":C}       N apps of /bin/true, C concurrent starts, then waits until all
//                                         have exited and deletes them      -> {"seconds":S,"latencies_ms":[..]}
//   {"op":"sleep","n":N}                  N apps of `sleep 3600`, started   -> {"seconds":S}
//   {"op":"deleteAll"}                    deletes every app (stops the running ones) -> {"seconds":S}
//   {"op":"kill"}                         stops the daemon                  -> {}
// "seconds" of "true" runs from the first start call to the first list showing every app exited: the
// same end-to-end span as jinit's start rate. A start's latency is the pm2.start call until its callback,
// which pm2 gives once the app is launched ("online").
'use strict';
const path = require('path');
const readline = require('readline');
const pm2 = require(path.join(process.env.BENCH_NPM_PREFIX, 'node_modules', 'pm2'));

let seq = 0;
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const call = (fn, ...args) => new Promise((resolve, reject) =>
  fn.call(pm2, ...args, (err, res) => (err ? reject(err) : resolve(res))));

function startOne(name, exec, args) {
  // interpreter 'none' runs the binary itself (fork mode); autorestart false: an ended app stays ended.
  return call(pm2.start, { name, script: exec, args, interpreter: 'none', autorestart: false });
}

async function waitExited(names) {
  const pending = new Set(names);
  while (pending.size > 0) {
    const list = await call(pm2.list);
    for (const app of list) {
      const status = app.pm2_env.status;
      if (pending.has(app.name) && status !== 'online' && status !== 'launching') pending.delete(app.name);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

async function startTrue(n, clients) {
  const names = Array.from({ length: n }, () => `true-${++seq}`);
  const latencies = new Array(n);
  let next = 0;
  const t0 = now();
  async function client() {
    while (next < n) {
      const i = next++;
      const s = now();
      await startOne(names[i], '/bin/true', []);
      latencies[i] = now() - s;
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  await waitExited(names);
  const seconds = (now() - t0) / 1000;
  for (const name of names) await call(pm2.delete, name);
  return { seconds, latencies_ms: latencies };
}

async function startSleep(n) {
  const t0 = now();
  for (let i = 0; i < n; i++) await startOne(`sleep-${++seq}`, '/bin/sleep', ['3600']);
  return { seconds: (now() - t0) / 1000 };
}

async function handle(cmd) {
  switch (cmd.op) {
    case 'hello': return {};
    case 'connect': {
      await call(pm2.connect);
      const pid = Number(require('fs').readFileSync(path.join(process.env.PM2_HOME, 'pm2.pid'), 'utf8'));
      return { pid };
    }
    case 'true': return startTrue(cmd.n, cmd.clients);
    case 'sleep': return startSleep(cmd.n);
    case 'deleteAll': {
      const t0 = now();
      const list = await call(pm2.list);
      if (list.length > 0) await call(pm2.delete, 'all');
      return { seconds: (now() - t0) / 1000 };
    }
    case 'kill': await call(pm2.killDaemon); pm2.disconnect(); return {};
    default: throw new Error(`unknown op ${cmd.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (err) {
      answer = { error: String(err && err.message ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  });
});
lines.on('close', () => queue.then(() => process.exit(0)));
