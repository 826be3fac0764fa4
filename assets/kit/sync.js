// Sending the queue: each application with the Idempotency-Key it was given on the device, so
// that whatever fails on the way — the connection dropped mid-send, the page reloaded, an
// answer lost after the server stored it — sending again ends with exactly one application on
// the server (the server answers a repeat with the first answer). An item is marked `sending`
// before it goes and stays so until an answer says what became of it.

import * as outbox from './outbox.js';

const TIMEOUT_MS = 30000;

/** What became of one round: the items by outcome, and why it stopped early, if it did. */
export function emptyReport() {
  return { sent: [], waiting: [], correct: [], duplicate: [], stopped: null };
}

/** POST one application; the answer's status and body (null body when not JSON). */
async function post(item, body, token) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(`/api/v1/bundles/${encodeURIComponent(item.bundle)}/applications`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
        'Idempotency-Key': item.key,
      },
      body: JSON.stringify(body),
      signal: abort.signal,
      cache: 'no-store',
    });
    const answer = await response.json().catch(() => null);
    return { status: response.status, answer };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Send every item that waits, oldest first. `ctx`: {key, token, device, changed}. Stops at the
 * first sign that the connection is gone (the rest wait) or that the session ended (`signin`).
 */
export async function sendAll(ctx) {
  const report = emptyReport();
  for (const item of await outbox.items()) {
    if (item.status === 'sent') {
      continue;
    }
    if (item.status !== 'queued' && item.status !== 'sending') {
      (report[item.status] || report.waiting).push(item);
      continue;
    }
    if (report.stopped) {
      report.waiting.push(item);
      continue;
    }
    const outcome = await sendOne(ctx, item);
    if (outcome.stopped) {
      report.stopped = outcome.stopped;
    }
    report[outcome.group].push(outcome.item);
    ctx.changed();
  }
  return report;
}

async function sendOne(ctx, item) {
  const content = await outbox.unseal(ctx.key, item.sealed);
  const body = {
    data: content.data,
    capture: { device: ctx.device, captured_at: item.capturedAt, captured_by: item.capturedBy },
  };
  if (content.duplicateReason) {
    body.duplicate_reason = content.duplicateReason;
  }
  item.status = 'sending';
  item.attempts = (item.attempts || 0) + 1;
  await outbox.put(item);
  let result;
  try {
    result = await post(item, body, ctx.token);
  } catch {
    // No answer: it may or may not be stored. It stays `sending`; the next round asks again
    // with the same key.
    return { item, group: 'waiting', stopped: 'offline' };
  }
  const { status, answer } = result;
  if (status === 201 || status === 200) {
    item.status = 'sent';
    item.applicationId = answer && answer.id;
    item.sentAt = new Date().toISOString();
    item.problem = null;
    await outbox.put(item);
    return { item, group: 'sent' };
  }
  if (status === 401) {
    return { item, group: 'waiting', stopped: 'signin' };
  }
  const errors = answer && Array.isArray(answer.errors) ? answer.errors : [];
  const duplicate = status === 409 && errors.some((e) => e.duplicate_of !== undefined);
  if (status === 409 && !duplicate) {
    // The first request with this key is still being stored: ask again next round.
    return { item, group: 'waiting' };
  }
  if (status === 422 || status === 400 || status === 403 || status === 404 || duplicate) {
    item.status = duplicate ? 'duplicate' : 'correct';
    item.problem = await outbox.seal(ctx.key, errors.map((e) => ({
      pointer: e.pointer || '', message: e.message, duplicateOf: e.duplicate_of,
    })));
    await outbox.put(item);
    return { item, group: item.status };
  }
  // The server could not answer now (5xx, 429, a proxy's page): it waits for the next round.
  item.status = 'queued';
  await outbox.put(item);
  return { item, group: 'waiting' };
}
