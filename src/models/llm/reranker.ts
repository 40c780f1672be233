/**
 * A pointwise LLM reranker over an OpenAI-compatible chat API (vLLM, llama.cpp server, Ollama, OpenAI, ...).
 *
 * Spec: `{ backend: 'llm', url (base such as http://127.0.0.1:8000/v1), model, apiKeyEnv?, promptTemplate?,
 * systemPrompt?, scale?: [min, max] (integers, default [0, 3]), concurrency?, timeoutMs?, temperature?
 * (default 0), maxTokens? (default 16), retries?, backoffMs?, maxBackoffMs?, maxRetryAfterMs? }` (`threads`
 * is accepted and ignored: the harness passes it to every backend).
 *
 * Each (query, document) pair is one `POST <url>/chat/completions` with a system prompt stating the scale
 * and a user prompt from the template (`{query}` and `{document}` required, `{min}` / `{max}` optional). The
 * answer must be a single number in range (see `parseAnswer`). An unparsable answer is asked again once,
 * with the same prompt plus a short reminder; a second unparsable answer is a failure: the score is NaN and
 * `stats().failures` counts it (never a silent 0). Transport failures are retried by the HTTP client and
 * then fail the call. `opts.batchSize` does not apply: every pair is its own request, `concurrency` of them
 * in flight. Ties are frequent on an integer scale; the ranking order then follows the harness's tie rule.
 */
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { BatchLimit, forEachChunk } from '../http/batching.js';
import { clientFor, describeJson, HttpClient, ProtocolError, type ClientCounters } from '../http/client.js';
import { baseAndModel, endpointFor, parseSpec, publicUrl, readApiKey, remoteOptionShape } from '../http/spec.js';
import type { RerankerFactory } from '../registry.js';
import type { ModelIdentity, Reranker, RerankOptions, RerankStats } from '../types.js';
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, missingPlaceholders, parseAnswer, promptHash, REMINDER, render } from './prompt.js';

const DEFAULTS = { temperature: 0, maxTokens: 16, scale: [0, 3] as [number, number] };

const llmSpecSchema = z.strictObject({
  ...remoteOptionShape,
  backend: z.literal('llm').optional(),
  promptTemplate: z.string().min(1).optional(),
  systemPrompt: z.string().optional(),
  scale: z.tuple([z.int(), z.int()]).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.int().min(1).optional(),
});

/** The client's counters since creation (see `ClientCounters`) and the LLM's own. */
export interface LlmRerankStats extends Omit<RerankStats, keyof ClientCounters>, ClientCounters {
  promptTokens: number;
  completionTokens: number;
  /** Pairs with no usable answer after the second ask (score NaN). */
  failures: number;
  /** Unparsable answers received (each first one was asked again). */
  unparsableAnswers: number;
}

interface ChatAnswer {
  content: string;
  promptTokens: number;
  completionTokens: number;
}

function tokenCount(usage: Record<string, unknown>, field: string): number {
  const v = usage[field];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Reads `{choices: [{message: {content}}], usage?}`; a null content (e.g. cut by max_tokens) reads as ''. */
export function readChatAnswer(json: unknown): ChatAnswer {
  const o = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  const choices = o?.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new ProtocolError(`expected an object with a non-empty \`choices\` array, got ${describeJson(json)}`);
  const first: unknown = choices[0];
  const message = first !== null && typeof first === 'object' ? (first as Record<string, unknown>).message : undefined;
  if (message === null || typeof message !== 'object') throw new ProtocolError(`choices[0] has no \`message\` object`);
  const content = (message as Record<string, unknown>).content;
  if (content !== null && content !== undefined && typeof content !== 'string') {
    throw new ProtocolError(`choices[0].message.content is ${describeJson(content)}, not a string`);
  }
  const usage = o?.usage !== null && typeof o?.usage === 'object' ? (o.usage as Record<string, unknown>) : {};
  return { content: content ?? '', promptTokens: tokenCount(usage, 'prompt_tokens'), completionTokens: tokenCount(usage, 'completion_tokens') };
}

class LlmReranker implements Reranker {
  private readonly counts = { promptTokens: 0, completionTokens: 0, failures: 0, unparsableAnswers: 0 };

  constructor(
    readonly identity: ModelIdentity,
    private readonly endpoint: URL,
    private readonly client: HttpClient,
    private readonly p: { model: string; system: string; template: string; min: number; max: number; temperature: number; maxTokens: number },
  ) {}

  async score(query: string, documents: string[], opts: RerankOptions = {}): Promise<Float64Array> {
    const out = new Float64Array(documents.length).fill(Number.NaN);
    // One request per pair; forEachChunk with chunks of 1 gives the abort-the-rest-on-failure behaviour.
    await forEachChunk(documents.length, 1, new BatchLimit(1), async (i, _end, signal) => {
      out[i] = await this.judge(query, documents[i], signal);
    }, opts.signal);
    return out;
  }

  /** The score of one pair: asked once, asked again with a reminder if unreadable, else NaN (a failure). */
  private async judge(query: string, document: string, signal: AbortSignal): Promise<number> {
    const { min, max } = this.p;
    const values = { query, document, min, max };
    const system = render(this.p.system, values);
    const user = render(this.p.template, values);
    const first = parseAnswer(await this.ask(system, user, signal), min, max);
    if (first !== undefined) return first;
    this.counts.unparsableAnswers += 1;
    const second = parseAnswer(await this.ask(system, `${user}\n\n${render(REMINDER, values)}`, signal), min, max);
    if (second !== undefined) return second;
    this.counts.unparsableAnswers += 1;
    this.counts.failures += 1;
    return Number.NaN;
  }

  private async ask(system: string, user: string, signal: AbortSignal): Promise<string> {
    const { model, temperature, maxTokens } = this.p;
    const body = {
      model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      temperature,
      max_tokens: maxTokens,
    };
    const { value } = await this.client.postJson(this.endpoint, body, readChatAnswer, signal);
    this.counts.promptTokens += value.promptTokens;
    this.counts.completionTokens += value.completionTokens;
    return value.content;
  }

  stats(): LlmRerankStats {
    return { ...this.client.counters, ...this.counts };
  }

  async dispose(): Promise<void> {
    // Nothing held.
  }
}

export const createLlmReranker: RerankerFactory = async (spec) => {
  const o = parseSpec(llmSpecSchema, spec, 'LLM reranker');
  if (o.url === undefined) {
    throw new UsageError(`LLM reranker "${o.model}" has no endpoint.`, {
      key: 'url',
      hint: 'Add `url:` with the OpenAI-compatible base, e.g. http://127.0.0.1:8000/v1; `model` is the served model name.',
    });
  }
  const template = o.promptTemplate ?? DEFAULT_USER_TEMPLATE;
  const missing = missingPlaceholders(template);
  if (missing.length > 0) {
    throw new UsageError(`LLM reranker "${o.model}": \`promptTemplate\` lacks ${missing.join(' and ')}.`, {
      key: 'promptTemplate',
      hint: 'The template must contain both {query} and {document} (optionally {min} and {max}).',
    });
  }
  const [min, max] = o.scale ?? DEFAULTS.scale;
  if (!(min < max)) {
    throw new UsageError(`LLM reranker "${o.model}": \`scale\` [${min}, ${max}] must be [min, max] with min < max.`, { key: 'scale' });
  }
  const { base } = baseAndModel({ model: o.model, url: o.url }, 'LLM reranker');
  const endpoint = endpointFor(base, '/chat/completions');
  const apiKey = readApiKey(o.apiKeyEnv, 'LLM reranker', o.model);
  const client = clientFor('LLM chat completions', o, apiKey);
  const system = o.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  const temperature = o.temperature ?? DEFAULTS.temperature;
  const maxTokens = o.maxTokens ?? DEFAULTS.maxTokens;
  const identity: ModelIdentity = {
    name: o.model,
    backend: 'llm',
    source: publicUrl(endpoint),
    weights: 'remote',
    settings: { model: o.model, promptSha256: promptHash(system, template), scale: [min, max], temperature, maxTokens },
    // An OpenAI-compatible chat API does not describe the weights behind a model name.
    server: null,
  };
  return new LlmReranker(identity, endpoint, client, { model: o.model, system, template, min, max, temperature, maxTokens });
};
