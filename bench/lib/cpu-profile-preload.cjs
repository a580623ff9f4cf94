// Loaded into every tsflink process and thread of a profiled benchmark (NODE_OPTIONS=--require …, see bench/profile.mjs):
// starts V8's CPU profiler when $TSFLINK_PROFILE_DIR/start appears and writes this thread's profile there when
// $TSFLINK_PROFILE_DIR/stop appears, so the profile covers just the jobs in between.
const { existsSync, writeFileSync } = require('node:fs');
const { Session } = require('node:inspector');
const { join, basename, dirname } = require('node:path');
const { threadId } = require('node:worker_threads');

const dir = process.env.TSFLINK_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let state = 'waiting';
  const poll = setInterval(() => {
    if (state === 'waiting' && existsSync(join(dir, 'start'))) {
      state = 'profiling';
      session.post('Profiler.enable', () => session.post('Profiler.start'));
    } else if (state === 'profiling' && existsSync(join(dir, 'stop'))) {
      state = 'done';
      clearInterval(poll);
      session.post('Profiler.stop', (error, result) => {
        if (error) return;
        const entry = process.argv[1] ? `${basename(dirname(process.argv[1]))}-${basename(process.argv[1], '.js')}` : 'node';
        writeFileSync(join(dir, `${entry}.${process.pid}.${threadId}.cpuprofile`), JSON.stringify(result.profile));
      });
    }
  }, 50);
  poll.unref();
}
