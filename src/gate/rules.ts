/**
 * The rules of `rbench gate` (`--rules gate.yaml`, YAML or JSON), and the defaults that apply without a
 * rules file. Every key is validated; problems are reported together with their file and line, as for the
 * experiment config (exit 2).
 *
 *   configurations:            # which configurations to gate: `all` (default), or id patterns
 *     include: ['tech-qa/**']  # globs over row ids and quality ids (picomatch; `*` stays within one `/` part)
 *     exclude: ['tech-qa/glove/**']
 *   defaults:                  # every metric both files report
 *     maxDrop: 0.01            # the largest absolute drop tolerated without a test
 *     alpha: 0.05              # a larger drop fails only when significant at alpha (randomization test, Holm)
 *     hardMaxDrop: 0.05        # a drop beyond this fails whatever the test says
 *   metrics:                   # per metric, over the defaults; `false` gates that metric not at all
 *     ndcg@10: { maxDrop: 0.005 }
 *     map: false
 *   latency:                   # `false`: no latency checks
 *     maxSlowdown: 1.0         # FAIL when the 95% CI of median(current)/median(baseline) is above 1 + this
 *     minSlowdownMs: 1         # ... and the median grew by at least this many ms
 *   statistics: { seed: 42, bootstrap: 10000, permutations: 100000 }
 */
import fs from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseLined } from '../yaml-lines.js';
import { nearest } from '../experiment/config.js';
import { COMPARE_DEFAULTS } from '../stats/choices.js';

/** What a metric's checks tolerate. */
export interface MetricRule {
  maxDrop: number;
  alpha: number;
  hardMaxDrop: number;
}

export interface LatencyRule {
  maxSlowdown: number;
  minSlowdownMs: number;
}

export interface GateRules {
  /** Patterns a gated configuration matches (null: every configuration). */
  include: string[] | null;
  exclude: string[];
  defaults: MetricRule;
  /** Per-metric rules over the defaults; `false`: not gated. */
  metrics: Record<string, MetricRule | false>;
  /** null: latency is not gated. */
  latency: LatencyRule | null;
  statistics: { seed: number; bootstrap: number; permutations: number };
  /** The rules file (null for the defaults). */
  file: string | null;
  /** Line of each `metrics.<name>` key in the rules file, for errors about it. */
  metricLines: Record<string, number>;
}

/**
 * The defaults. Quality: a drop up to 0.01 passes untested; up to 0.05 fails only when significant at 0.05
 * after Holm; beyond 0.05 it fails. Latency: run-to-run noise of 30–60 % is normal on shared machines, so
 * only a slowdown that is surely above 2× (the whole 95 % interval of the median ratio above 2) and adds at
 * least 1 ms per query fails.
 */
export const DEFAULT_METRIC_RULE: MetricRule = { maxDrop: 0.01, alpha: 0.05, hardMaxDrop: 0.05 };
export const DEFAULT_LATENCY_RULE: LatencyRule = { maxSlowdown: 1.0, minSlowdownMs: 1 };
export const DEFAULT_STATISTICS = { seed: COMPARE_DEFAULTS.seed, bootstrap: COMPARE_DEFAULTS.bootstrap, permutations: COMPARE_DEFAULTS.permutations };

export const DEFAULT_RULES: GateRules = {
  include: null,
  exclude: [],
  defaults: DEFAULT_METRIC_RULE,
  metrics: {},
  latency: DEFAULT_LATENCY_RULE,
  statistics: DEFAULT_STATISTICS,
  file: null,
  metricLines: {},
};

const nonNegative = z.number().min(0);
const metricRuleSchema = z.strictObject({
  maxDrop: nonNegative.optional(),
  alpha: z.number().gt(0, 'alpha must be above 0').lt(1, 'alpha must be below 1').optional(),
  hardMaxDrop: nonNegative.optional(),
});
const patterns = z.array(z.string().min(1)).min(1);
const rulesSchema = z.strictObject({
  configurations: z.union([z.literal('all'), patterns, z.strictObject({ include: z.union([z.literal('all'), patterns]).optional(), exclude: z.array(z.string().min(1)).optional() })]).optional(),
  defaults: metricRuleSchema.optional(),
  metrics: z.record(z.string(), z.union([z.literal(false), metricRuleSchema])).optional(),
  latency: z.union([z.literal(false), z.strictObject({ maxSlowdown: nonNegative.optional(), minSlowdownMs: nonNegative.optional() })]).optional(),
  statistics: z
    .strictObject({
      seed: z.number().int().min(0).max(0xffffffff).optional(),
      bootstrap: z.number().int().positive().optional(),
      permutations: z.number().int().positive().optional(),
    })
    .optional(),
});

/** Keys allowed in each mapping of the rules file, for "did you mean". */
const ALLOWED: Record<string, string[]> = {
  '': ['configurations', 'defaults', 'metrics', 'latency', 'statistics'],
  configurations: ['include', 'exclude'],
  defaults: ['maxDrop', 'alpha', 'hardMaxDrop'],
  metrics: ['maxDrop', 'alpha', 'hardMaxDrop'],
  latency: ['maxSlowdown', 'minSlowdownMs'],
  statistics: ['seed', 'bootstrap', 'permutations'],
};

const RULES_HINT = 'See README "rbench gate" for every key of the rules file.';

interface Problem {
  line: number | undefined;
  key: string;
  message: string;
}

function formatKey(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** All the problems of a rules file in one UsageError (one problem: its own location; several: a list). */
export function rulesError(file: string, problems: readonly Problem[]): UsageError {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (sorted.length === 1) return new UsageError(sorted[0].message, { file, line: sorted[0].line, key: sorted[0].key || undefined, hint: RULES_HINT });
  const where = (p: Problem) => `${p.line !== undefined ? `${file}:${p.line}` : file}${p.key ? `, key \`${p.key}\`` : ''}`;
  return new UsageError(`${sorted.length} problems in the gate rules:\n${sorted.map((p) => `  ${where(p)}: ${p.message}`).join('\n')}\n${RULES_HINT}`);
}

/** Parses rules text (YAML or JSON); `file` names it in errors. */
export function parseRules(text: string, file: string): GateRules {
  const doc = parseLined(text, file);
  if ('syntax' in doc) throw rulesError(file, doc.syntax);
  const { raw, lineOf, keyLineOf } = doc;
  if (raw === null || raw === undefined) return { ...DEFAULT_RULES, file };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError('the gate rules must be a mapping with keys among configurations, defaults, metrics, latency, statistics.', { file, hint: 'See configs/ci/gate.yaml for an example.' });
  }
  const parsed = rulesSchema.safeParse(raw);
  const problems: Problem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path;
      if (issue.code === 'unrecognized_keys') {
        const section = p.length === 0 ? '' : String(p[0]);
        const allowed = ALLOWED[section] ?? [];
        for (const key of issue.keys) {
          const guess = nearest(key, allowed);
          problems.push({
            line: keyLineOf(p, key),
            key: formatKey([...p, key]),
            message: `\`${key}\` is not a key ${p.length === 0 ? 'of the rules' : `of \`${formatKey(p)}\``}${guess ? `; did you mean \`${guess}\`?` : `. Allowed: ${allowed.join(', ')}.`}`,
          });
        }
        continue;
      }
      const message =
        issue.code === 'invalid_union'
          ? p[0] === 'configurations'
            ? 'expected `all`, a list of id patterns, or {include, exclude}.'
            : p[0] === 'latency'
              ? 'expected `false` or {maxSlowdown, minSlowdownMs}.'
              : 'expected `false` or {maxDrop, alpha, hardMaxDrop}.'
          : `${issue.message.replace(/^Invalid input: /, '')}.`;
      problems.push({ line: lineOf(p), key: formatKey(p), message });
    }
  }
  // Rules that only make sense together, checked on every section that is valid on its own (so that they
  // are reported with the other problems, not after they are fixed).
  const check = (rule: MetricRule, p: [string] | [string, string]): void => {
    if (rule.hardMaxDrop < rule.maxDrop) problems.push({ line: keyLineOf(p.slice(0, -1), p[p.length - 1]), key: formatKey(p), message: `hardMaxDrop (${rule.hardMaxDrop}) is below maxDrop (${rule.maxDrop}): a drop between them could not pass and could not fail on significance. Make hardMaxDrop at least maxDrop.` });
  };
  const section = (key: string): unknown => (raw as Record<string, unknown>)[key];
  const ownDefaults = metricRuleSchema.optional().safeParse(section('defaults'));
  const defaults: MetricRule = { ...DEFAULT_METRIC_RULE, ...(ownDefaults.success ? ownDefaults.data : {}) };
  if (ownDefaults.success) check(defaults, ['defaults']);
  const ownMetrics = rulesSchema.shape.metrics.safeParse(section('metrics'));
  const metrics: Record<string, MetricRule | false> = {};
  const metricLines: Record<string, number> = {};
  for (const [name, m] of Object.entries((ownMetrics.success ? ownMetrics.data : undefined) ?? {})) {
    metrics[name] = m === false ? false : { ...defaults, ...m };
    const line = keyLineOf(['metrics'], name);
    if (line !== undefined) metricLines[name] = line;
    if (m !== false) check({ ...defaults, ...m }, ['metrics', name]);
  }
  if (!parsed.success || problems.length > 0) throw rulesError(file, problems);
  const r = parsed.data;
  const conf = r.configurations;
  const include = conf === undefined || conf === 'all' ? null : Array.isArray(conf) ? conf : conf.include === undefined || conf.include === 'all' ? null : conf.include;
  const exclude = conf !== undefined && conf !== 'all' && !Array.isArray(conf) ? (conf.exclude ?? []) : [];
  return {
    include,
    exclude,
    defaults,
    metrics,
    latency: r.latency === false ? null : { ...DEFAULT_LATENCY_RULE, ...r.latency },
    statistics: { ...DEFAULT_STATISTICS, ...r.statistics },
    file,
    metricLines,
  };
}

/** Reads the rules file (UsageError naming it when it is not there), or the defaults without one. */
export function loadRules(file: string | undefined): GateRules {
  if (file === undefined) return DEFAULT_RULES;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'rules file not found.' : `cannot read the rules file (${code ?? (e as Error).message}).`, {
      file,
      hint: code === 'ENOENT' ? 'Check the path; configs/ci/gate.yaml is an example. Without --rules the defaults apply.' : undefined,
    });
  }
  return parseRules(text, file);
}

/** The rule of a metric: its own, the defaults, or false when the rules say not to gate it. */
export function metricRule(rules: GateRules, metric: string): MetricRule | false {
  return rules.metrics[metric] ?? rules.defaults;
}
