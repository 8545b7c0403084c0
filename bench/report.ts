/**
 * Turns the repetitions into the printed table (medians, ratio sys/C, targets with PASS/MISS)
 * and the machine-readable object that `--json` writes. Nothing here measures anything.
 * @module
 */

/** The four implementations, in column order. */
export const IMPLS = ['c', 'sys', 'socket', 'net'] as const;
/** One implementation. */
export type Impl = (typeof IMPLS)[number];

/** The timed loops. send0, badf and gettid are diagnostics for the overhead analysis, not targets. */
export const METRICS = ['send10', 'eagain', 'send64k', 'send0', 'badf', 'gettid'] as const;
/** One timed loop. */
export type Metric = (typeof METRICS)[number];

/** The repetitions of one implementation on one metric. */
export interface Samples {
  /** Per repetition: ns per call, or MB/s (1e6 bytes/s) for send64k. */
  values: number[];
  /** Per repetition: GCs that started inside the timed loop (JavaScript only). */
  gcs: number[];
  /** Calls, over all repetitions, whose outcome was not the expected one. */
  unexpected: number;
  /** Exceptions thrown and caught inside the loops, over all repetitions. */
  thrown: number;
  /** Calls over all repetitions. */
  calls: number;
}

/** Everything measured in one run. */
export interface Measured {
  results: Record<Metric, Partial<Record<Impl, Samples>>>;
  /** Heap bytes per EAGAIN call, from a GC-free window (NaN: every window saw a GC). */
  allocation: { sys: number; socket: number };
  /** The draining peer's recv() calls per send, over warm-up and all repetitions. */
  peerRecvsPerSend: Record<'send10' | 'send64k', Partial<Record<Impl, number>>>;
}

/** How the run was configured (echoed in the output). */
export interface RunConfig {
  n10: number;
  nagain: number;
  n64k: number;
  reps: number;
  nodelay: boolean;
  cFillRounds: number;
  jsFillRounds: number;
  elapsedS: number;
}

/** One target and its verdict. */
export interface Verdict {
  id: string;
  description: string;
  value: number;
  limit: number;
  pass: boolean;
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const NA_NET_EAGAIN = 'n/a¹';
const LABELS: Record<Metric, string> = {
  send10: '(a) send 10 B, ns/call',
  eagain: '(b) send → EAGAIN, ns/call',
  send64k: '(c) send 64 KiB, MB/s',
  send0: 'diag: send 0 B, ns/call',
  badf: 'diag: send(-1) → EBADF, ns/call',
  gettid: 'diag: gettid(), ns/call',
};

function med(m: Measured, metric: Metric, impl: Impl): number | undefined {
  const s = m.results[metric][impl];
  return s && s.values.length > 0 ? median(s.values) : undefined;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The targets of the brief, judged on the medians. */
export function verdicts(m: Measured): Verdict[] {
  const ratio = (metric: Metric): number => (med(m, metric, 'sys') ?? NaN) / (med(m, metric, 'c') ?? NaN);
  const eagainSys = m.results.eagain.sys;
  // A loop whose calls did not all end the expected way did not measure what it claims.
  const valid = (metric: Metric): boolean => IMPLS.every((impl) => (m.results[metric][impl]?.unexpected ?? 0) === 0);
  const v: Verdict[] = [
    { id: 'send10', description: 'sys.send 10 B ≤ 1.6× C', value: ratio('send10'), limit: 1.6, pass: false },
    { id: 'eagain', description: 'sys.send EAGAIN ≤ 1.8× C', value: ratio('eagain'), limit: 1.8, pass: false },
    {
      id: 'eagainGc',
      description: 'GCs during the sys EAGAIN loops = 0',
      value: sum(eagainSys?.gcs ?? [NaN]),
      limit: 0,
      pass: false,
    },
    {
      id: 'eagainThrown',
      description: 'exceptions in the sys EAGAIN loops = 0',
      value: eagainSys?.thrown ?? NaN,
      limit: 0,
      pass: false,
    },
    {
      id: 'eagainAlloc',
      description: 'heap allocated per sys EAGAIN call < 1 byte',
      value: m.allocation.sys,
      limit: 1,
      pass: false,
    },
    { id: 'send64k', description: 'sys.send 64 KiB ≥ 0.97× C', value: ratio('send64k'), limit: 0.97, pass: false },
  ];
  for (const t of v) {
    const metric: Metric = t.id.startsWith('eagain') ? 'eagain' : (t.id as Metric);
    const ok =
      t.id === 'send64k' ? t.value >= t.limit : t.id === 'eagainAlloc' ? t.value < t.limit : t.value <= t.limit;
    t.pass = valid(metric) && Number.isFinite(t.value) && ok;
  }
  return v;
}

/** A number for the tables: en-US grouping, `digits` decimals; '—' when missing. */
export function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Rows as aligned text columns; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]): string =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/**
 * Median over repetitions of sys_i / C_i. Repetition i of every implementation ran within the
 * same round, so this cancels drift slower than a round; shown beside the ratio of medians.
 */
export function pairedRatio(m: Measured, metric: Metric): number {
  const a = m.results[metric].sys?.values ?? [];
  const b = m.results[metric].c?.values ?? [];
  const n = Math.min(a.length, b.length);
  return n === 0 ? NaN : median(a.slice(0, n).map((v, i) => v / b[i]!));
}

function paired(m: Measured, metric: Metric): string {
  const r = pairedRatio(m, metric);
  return Number.isFinite(r) ? `${r.toFixed(3)}×` : '—';
}

/** The report printed to stdout. */
export function formatReport(m: Measured, config: RunConfig): string {
  const v = verdicts(m);
  const verdict = (id: string): Verdict => v.find((x) => x.id === id)!;
  const mark = (t: Verdict): string => (t.pass ? 'PASS' : 'MISS');
  const ratioText = (metric: Metric): string => {
    const r = (med(m, metric, 'sys') ?? NaN) / (med(m, metric, 'c') ?? NaN);
    return Number.isFinite(r) ? `${r.toFixed(3)}×` : '—';
  };
  const digits = (metric: Metric): number => (metric === 'send0' || metric === 'badf' || metric === 'gettid' ? 1 : 0);
  const metricRow = (metric: Metric, target: string, pass: string): string[] => [
    LABELS[metric],
    ...IMPLS.map((impl) =>
      metric === 'eagain' && impl === 'net' ? NA_NET_EAGAIN : fmt(med(m, metric, impl), digits(metric)),
    ),
    ratioText(metric),
    target,
    pass,
  ];
  const gcs = (impl: Impl): string => {
    const s = m.results.eagain[impl];
    return impl === 'c' ? '—' : impl === 'net' ? NA_NET_EAGAIN : s ? String(sum(s.gcs)) : '—';
  };
  const thrownPerCall = (impl: Impl): string => {
    const s = m.results.eagain[impl];
    if (impl === 'c') return '—';
    return impl === 'net' ? NA_NET_EAGAIN : s ? (s.thrown / s.calls).toFixed(2) : '—';
  };
  const rows: string[][] = [
    ['metric', 'C', 'sys.send', 'Socket.send', 'node:net', 'ratio sys/C', 'target', 'PASS/MISS'],
    metricRow('send10', '≤ 1.6×', mark(verdict('send10'))),
    metricRow('eagain', '≤ 1.8×', mark(verdict('eagain'))),
    ['(b) GCs during EAGAIN loops', ...IMPLS.map(gcs), '', 'sys = 0', mark(verdict('eagainGc'))],
    ['(b) exceptions per EAGAIN call', ...IMPLS.map(thrownPerCall), '', 'sys = 0', mark(verdict('eagainThrown'))],
    [
      '(b) heap bytes per EAGAIN call',
      '—',
      fmt(m.allocation.sys, 2),
      fmt(m.allocation.socket, 0),
      NA_NET_EAGAIN,
      '',
      'sys < 1',
      mark(verdict('eagainAlloc')),
    ],
    metricRow('send64k', '≥ 0.97×', mark(verdict('send64k'))),
    metricRow('send0', 'info', ''),
    metricRow('badf', 'info', ''),
    metricRow('gettid', 'info', ''),
  ];

  const spreadRows: string[][] = [['repetitions: min / median / max', ...IMPLS]];
  for (const metric of METRICS) {
    spreadRows.push([
      LABELS[metric],
      ...IMPLS.map((impl) => {
        const s = m.results[metric][impl];
        if (!s || s.values.length === 0) return metric === 'eagain' && impl === 'net' ? NA_NET_EAGAIN : '—';
        const d = digits(metric);
        return `${fmt(Math.min(...s.values), d)} / ${fmt(median(s.values), d)} / ${fmt(Math.max(...s.values), d)}`;
      }),
    ]);
  }

  const d = (metric: Metric, a: Impl, b: Impl): string =>
    fmt((med(m, metric, a) ?? NaN) - (med(m, metric, b) ?? NaN), 0);
  const otherGcs = IMPLS.filter((i) => i !== 'c')
    .map((impl) => `${impl} ${sum(m.results.send10[impl]?.gcs ?? [])}/${sum(m.results.send64k[impl]?.gcs ?? [])}`)
    .join(', ');
  const problems = METRICS.flatMap((metric) =>
    IMPLS.flatMap((impl) => {
      const u = m.results[metric][impl]?.unexpected ?? 0;
      return u > 0 ? [`  ! ${LABELS[metric]} / ${impl}: ${u} calls did not end as expected (row invalid)`] : [];
    }),
  );

  return [
    table(rows),
    '',
    table(spreadRows),
    '',
    `Where sys.send's time goes (medians):`,
    `  per-call cost over C, send(-1)→EBADF : ${d('badf', 'sys', 'c')} ns   (binding + argument handling)`,
    `  per-call cost over C, gettid()       : ${d('gettid', 'sys', 'c')} ns   (bare addon call, no arguments)`,
    `  send, 10 B / EAGAIN over C           : ${d('send10', 'sys', 'c')} ns / ${d('eagain', 'sys', 'c')} ns`,
    `  Socket.send over sys.send, 0 B / 10 B: ${d('send0', 'socket', 'sys')} ns / ${d('send10', 'socket', 'sys')} ns;  EAGAIN (throwing): ${d('eagain', 'socket', 'sys')} ns`,
    `  paired ratio sys/C (median over repetitions of sys_i / C_i, run back to back; not used for`,
    `    the verdicts): 10 B ${paired(m, 'send10')}, EAGAIN ${paired(m, 'eagain')}, 64 KiB ${paired(m, 'send64k')}`,
    `  GCs during 10 B / 64 KiB loops       : ${otherGcs}`,
    `  peer recv() calls per 10 B send      : ${IMPLS.map((i) => `${i} ${fmt(m.peerRecvsPerSend.send10[i], 2)}`).join(', ')}`,
    `    (≈ how often the reader slept and the sender paid for waking it; the 10 B rows depend on it)`,
    ...problems,
    '',
    `¹ node:net has no EAGAIN path to measure: libuv absorbs EAGAIN, keeps the data in user space`,
    `  and waits for POLLOUT; write() only returns false (backpressure) and still accepts the data.`,
    `  node:net rows are N write() calls timed until the last write's callback (data handed to the`,
    `  kernel), awaiting 'drain' whenever write() returns false.`,
    `The sys loops have no try/catch: a throw would abort the run, so a finished run proves none was`,
    `  thrown. Heap bytes per call come from used_heap_size over a short window without a GC.`,
    `Setup: 127.0.0.1 TCP, TCP_NODELAY=${config.nodelay ? 1 : 0} on every sender, default buffers, SO_SNDTIMEO 5 s;`,
    `  calls/rep: 10 B ${config.n10}, EAGAIN ${config.nagain}, 64 KiB ${config.n64k}; ${config.reps} reps after 1 warm-up,`,
    `  implementations interleaved per repetition; one shared C draining peer (thread per connection);`,
    `  EAGAIN peer never reads (SO_RCVBUF 64 KiB), buffer filled until quiet (C ${config.cFillRounds}, JS ${config.jsFillRounds} rounds).`,
    `  Elapsed ${config.elapsedS.toFixed(1)} s.`,
  ].join('\n');
}

/** The object written by `--json`. */
export function jsonReport(m: Measured, config: RunConfig, meta: Record<string, unknown>): unknown {
  const results: Record<string, Record<string, unknown>> = {};
  for (const metric of METRICS) {
    results[metric] = {};
    for (const impl of IMPLS) {
      const s = m.results[metric][impl];
      if (!s) continue;
      results[metric]![impl] = {
        unit: metric === 'send64k' ? 'MB/s' : 'ns/call',
        median: median(s.values),
        min: Math.min(...s.values),
        max: Math.max(...s.values),
        reps: s.values,
        gcs: s.gcs,
        unexpected: s.unexpected,
        thrown: s.thrown,
        calls: s.calls,
      };
    }
  }
  results.eagain!.net = { unit: 'ns/call', median: null, reason: 'node:net has no EAGAIN path: libuv absorbs it' };
  const pairedRatios = {
    send10: pairedRatio(m, 'send10'),
    eagain: pairedRatio(m, 'eagain'),
    send64k: pairedRatio(m, 'send64k'),
  };
  return {
    meta,
    config,
    results,
    pairedRatios,
    peerRecvsPerSend: m.peerRecvsPerSend,
    allocationBytesPerEagainCall: m.allocation,
    targets: verdicts(m),
  };
}
