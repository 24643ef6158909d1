// How a prompt becomes a cache key.
//
// The article's LlmCacheService calls `hashPrompt(prompt)` without showing it; the only
// `hashPrompt` the article does show (PromptMergingService, section 4) is SHA-256 over the UTF-8
// bytes, Base64-encoded (java.util.Base64 basic alphabet, with padding) and cut to its first 16
// characters. We reproduce that as the article's key, and offer the full hex digest as the
// corrected key: 16 Base64 characters are 96 bits, and a key collision serves one prompt's answer
// to another prompt: by the birthday bound, two of n keys of b bits collide with probability about
// n² / 2^(b+1) (Knuth, TAOCP vol. 3, §6.4).
import { hash } from 'node:crypto';
import { promptMergeKey } from '../coalesce/index.ts';

/** The L2 key prefix of the article's LlmCacheService (`CACHE_PREFIX = "llm:"`). */
export const CACHE_PREFIX = 'llm:';

/** How a prompt is hashed: `'article'` (Base64 of SHA-256, first 16 chars) or `'sha256-hex'` (64 hex chars). */
export type PromptHashScheme = 'article' | 'sha256-hex';

/**
 * The article's `hashPrompt`: `Base64(SHA-256(utf8(prompt))).substring(0, 16)`, the very function
 * the request merger keys on (`promptMergeKey`, byte-identical to the JVM's, unpaired surrogates
 * included), so a cache key and a merge key of one prompt agree as they do in the article.
 * The Java fallback `prompt.hashCode()` only runs when SHA-256 is missing, which never happens here.
 */
export function hashPrompt(prompt: string, scheme: PromptHashScheme = 'article'): string {
  // This runs on every request, and popular prompts come back again and again (a Zipf workload):
  // a short prompt's key is remembered, since a map lookup is far cheaper than a SHA-256 through
  // node:crypto. The key is a function of the prompt alone, so remembering changes no key.
  if (prompt.length > REMEMBERED_PROMPT_CHARS_MAX) return hashOnce(prompt, scheme);
  const memo = scheme === 'article' ? articleKeys : hexKeys;
  let key = memo.get(prompt);
  if (key === undefined) {
    key = hashOnce(prompt, scheme);
    // Bounded: when full, start over (the popular prompts come back first).
    if (memo.size >= REMEMBERED_KEYS_MAX) memo.clear();
    memo.set(prompt, key);
  }
  return key;
}

/** Prompts longer than this (UTF-16 units) are hashed every time, never remembered. */
const REMEMBERED_PROMPT_CHARS_MAX = 256;
/** Keys remembered per scheme: at most ~16 MiB of prompts however they come. */
const REMEMBERED_KEYS_MAX = 32_768;
const articleKeys = new Map<string, string>();
const hexKeys = new Map<string, string>();

function hashOnce(prompt: string, scheme: PromptHashScheme): string {
  // crypto.hash is the one-shot form (Node >= 20.12): ~9x cheaper than createHash per prompt.
  // Strings are hashed as their UTF-8 bytes.
  return scheme === 'article' ? promptMergeKey(prompt) : hash('sha256', prompt, 'hex');
}
