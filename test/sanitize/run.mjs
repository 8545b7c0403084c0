// `npm run test:asan [-- vitest args]`: the test suite against the AddressSanitizer +
// UndefinedBehaviorSanitizer build of the addon (`npm run build:asan` → build-asan/), failing on
// any sanitizer report in any process of the run.
//
// node itself is not instrumented, so the sanitizer runtime the addon was linked against is
// preloaded (LD_PRELOAD: ASan must come first in the library list). Every process of the run
// inherits the environment — vitest's forks, the children and workers the tests start — and
// writes its reports to its own file under a fresh log directory (log_path), so a report in a
// forked child or a grandchild is caught even when a test captures that child's stderr or ignores
// its exit status. The run's own output is scanned for reports as well.
//
// Before the suite, the canary (test/sanitize/canary.cc, built with the same flags) proves that
// the setup catches bugs: a heap overflow, a use after free and a signed overflow must each be
// reported and fail their process, a clean call must not, and a report in a child whose parent
// exits 0 must still be found. Only then does a clean suite mean something.
//
// Plain Node, no dependencies: it runs before anything else is trusted.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const release = join(root, 'build-asan', 'Release');
const addon = join(release, 'syssock.node');
const canary = join(release, 'sanitize_canary.node');
/** Bounds: one canary process, and the whole suite (which takes ~2 min here). */
const CANARY_LIMIT_MS = 30_000;
const SUITE_LIMIT_MS = 30 * 60_000;

/** What a report looks like: ASan's and LSan's banner, UBSan's "file:line:col: runtime error:". */
const REPORT = /ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)\b|:\d+:\d+: runtime error: /;

function fail(message) {
  console.error(`test:asan: ${message}`);
  process.exit(1);
}

for (const file of [addon, canary]) if (!existsSync(file)) fail(`${file} is missing: run \`npm run build:asan\` first`);

/** The sanitizer runtime the addon links against (GCC: libasan.so.N; Clang: libclang_rt.asan-*.so). */
function sanitizerRuntime() {
  const ldd = execFileSync('ldd', [addon], { encoding: 'utf8' });
  const line = ldd.split('\n').find((l) => /libasan\.so|libclang_rt\.asan/.test(l));
  const path = line?.match(/=>\s*(\S+)/)?.[1];
  if (path === undefined || !existsSync(path)) fail(`no ASan runtime among the addon's libraries:\n${ldd}`);
  return path;
}

/** The environment of every sanitized process, writing reports under `logDir`. */
function sanitizedEnv(logDir) {
  const runtime = sanitizerRuntime();
  return {
    ...process.env,
    LD_PRELOAD: [runtime, process.env.LD_PRELOAD].filter(Boolean).join(':'),
    SYSSOCK_ADDON: addon,
    ASAN_OPTIONS: [
      // LeakSanitizer off: node and V8 are not instrumented and keep much of their memory
      // (isolate, snapshot, per-process singletons) until exit on purpose, so every process would
      // end in thousands of "leaks" that are not the addon's. What ASan checks here is memory
      // safety: overflows, use after free, double free.
      'detect_leaks=0',
      // Stop at the first report, by abort(): the process dies with SIGABRT, impossible to miss.
      'halt_on_error=1',
      'abort_on_error=1',
      // Tests (and the fuzzer) ask for absurd sizes on purpose: an allocation node cannot make
      // must fail as it does without ASan (null → RangeError), not as a sanitizer report.
      'allocator_may_return_null=1',
      `log_path=${join(logDir, 'asan')}`,
    ].join(':'),
    UBSAN_OPTIONS: [
      'halt_on_error=1',
      'abort_on_error=1',
      'print_stacktrace=1',
      `log_path=${join(logDir, 'ubsan')}`,
    ].join(':'),
  };
}

/** The sanitizer reports written under `logDir`, plus any in `output`, as "where: first line". */
function reports(logDir, output = '') {
  const found = [];
  for (const name of readdirSync(logDir)) {
    const text = readFileSync(join(logDir, name), 'utf8');
    if (REPORT.test(text)) found.push({ where: name, text });
  }
  const line = output.split('\n').find((l) => REPORT.test(l));
  if (line !== undefined) found.push({ where: 'output', text: line });
  return found;
}

/** Runs `node -e <script>` sanitized; → its status, signal and reports. */
function runNode(script, logDir) {
  const r = spawnSync(process.execPath, ['-e', script], {
    env: sanitizedEnv(logDir),
    encoding: 'utf8',
    timeout: CANARY_LIMIT_MS,
  });
  return { status: r.status, signal: r.signal, found: reports(logDir, `${r.stdout}${r.stderr}`) };
}

function checkCanary() {
  const load = `const canary = require(${JSON.stringify(canary)});`;
  const cases = [
    { call: 'heapOverflow(8)', expect: /AddressSanitizer: heap-buffer-overflow/ },
    { call: 'useAfterFree(3)', expect: /AddressSanitizer: heap-use-after-free/ },
    { call: 'signedOverflow(1)', expect: /runtime error: signed integer overflow/ },
  ];
  for (const { call, expect } of cases) {
    const logDir = mkdtempSync(join(tmpdir(), 'syssock-canary-'));
    try {
      const r = runNode(`${load} canary.${call};`, logDir);
      if (r.status === 0) fail(`canary ${call}: the process exited 0; the sanitizer did not stop it`);
      if (!r.found.some((f) => expect.test(f.text)))
        fail(`canary ${call}: no ${expect} report (status ${r.status}, signal ${r.signal})`);
      console.log(`canary ${call}: caught (${r.signal ?? `exit ${r.status}`}), ${expect.source}`);
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  }
  const cleanDir = mkdtempSync(join(tmpdir(), 'syssock-canary-'));
  try {
    const r = runNode(`${load} if (canary.clean(3) !== 7) process.exit(3);`, cleanDir);
    if (r.status !== 0 || r.found.length > 0) fail(`canary clean(3): status ${r.status}, ${r.found.length} reports`);
    console.log('canary clean(3): exit 0, no report');
  } finally {
    rmSync(cleanDir, { recursive: true, force: true });
  }
  // A report in a child that its parent ignores: the parent exits 0, the log still has it.
  const hiddenDir = mkdtempSync(join(tmpdir(), 'syssock-canary-'));
  try {
    const child = `${load} canary.heapOverflow(8);`;
    const parent = `require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'ignore' });`;
    const r = runNode(parent, hiddenDir);
    if (r.status !== 0) fail(`canary in a child: the parent should exit 0, got ${r.status}`);
    if (!r.found.some((f) => /heap-buffer-overflow/.test(f.text)))
      fail('canary in a child: the report of a child whose parent exited 0 was not found');
    console.log('canary heapOverflow(8) in an ignored child: parent exit 0, report found in the log');
  } finally {
    rmSync(hiddenDir, { recursive: true, force: true });
  }
}

/** The sanitized addon and runtime are what a sanitized process really maps. */
function checkLoaded() {
  const logDir = mkdtempSync(join(tmpdir(), 'syssock-loaded-'));
  try {
    const script = `import('./lib/native.ts').then(() => {
      const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ addon: maps.includes(${JSON.stringify(addon)}), asan: /libasan|libclang_rt\\.asan/.test(maps) }));
    });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: root,
      env: sanitizedEnv(logDir),
      encoding: 'utf8',
      timeout: CANARY_LIMIT_MS,
    });
    const mapped = r.stdout.trim().split('\n').pop();
    if (mapped !== '{"addon":true,"asan":true}') fail(`lib/ did not load the sanitized addon: ${r.stdout}${r.stderr}`);
    console.log(`lib/ loads ${addon} with the ASan runtime preloaded`);
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

async function runSuite(args) {
  const logDir = mkdtempSync(join(tmpdir(), 'syssock-asan-'));
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...args], {
    cwd: root,
    env: sanitizedEnv(logDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    process.stdout.write(d);
    output += d;
  });
  child.stderr.on('data', (d) => {
    process.stderr.write(d);
    output += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_LIMIT_MS);
  const [status, signal] = await new Promise((resolve) => child.on('close', (code, sig) => resolve([code, sig])));
  clearTimeout(timer);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const found = reports(logDir, output);
  for (const f of found) console.error(`\n== sanitizer report (${f.where}):\n${f.text}`);
  rmSync(logDir, { recursive: true, force: true });
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const summary = ['Test Files', 'Tests'].map((what) => plain.match(new RegExp(`^\\s*${what}\\s+(.+)$`, 'm'))?.[1]);
  console.log(
    `\ntest:asan: vitest ${signal ?? `exit ${status}`} in ${seconds} s; test files ${summary[0] ?? '?'}; tests ${summary[1] ?? '?'}; ` +
      `sanitizer reports: ${found.length}`,
  );
  if (status !== 0 || found.length > 0) process.exit(1);
}

const args = process.argv.slice(2);
checkCanary();
checkLoaded();
if (args.length === 0)
  console.log(
    existsSync(join(root, 'test', 'fuzz.test.ts'))
      ? 'the whole suite, the bounded fuzz run (test/fuzz.test.ts) included'
      : 'the whole suite (test/fuzz.test.ts does not exist yet)',
  );
await runSuite(args);
