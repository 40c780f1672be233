/**
 * Questions about a model identity that do not depend on its backend.
 */
import type { ModelIdentity } from './types.js';

/** A full git commit id: a revision that names one set of weights for good (a branch or tag can move). */
const COMMIT = /^[0-9a-f]{40}$/i;

/**
 * True when cached outputs of this model cannot be trusted on its identity alone, so a run must re-score a few
 * cached pairs before reusing the cache: a remote model whose server did not describe its weights
 * (`server` null: Cohere, Jina, OpenAI-compatible, LLM, or a TEI whose `/info` failed), or described them
 * without pinning them (no `model_sha`, a branch name such as `main` instead of a commit, or a local folder
 * as `model_id`, for which TEI ignores the revision). Local models are identified by the sha256 of their files
 * and never need it.
 */
export function needsScoreCanary(identity: ModelIdentity): boolean {
  if (identity.weights !== 'remote') return false;
  const server = identity.server;
  if (server === undefined || server === null) return true;
  const id = server.model_id ?? '';
  const localFolder = id.startsWith('/') || id.startsWith('.') || id.startsWith('~') || /^[A-Za-z]:[\\/]/.test(id);
  return localFolder || !COMMIT.test(server.model_sha ?? '');
}
