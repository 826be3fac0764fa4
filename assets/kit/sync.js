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

/**
 * `fetch` that gives up after `ms` and never follows a redirect: a captive portal's login page
 * or a proxy's answer is not onestop's.
 */
export async function timedFetch(url, options = {}, ms = TIMEOUT_MS) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await fetch(url, { cache: 'no-store', redirect: 'error', ...options, signal: abort.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** POST one application; the answer's status and body (null when it is not onestop's JSON). */
async function post(item, body, token) {
  const response = await timedFetch(`/api/v1/bundles/${encodeURIComponent(item.bundle)}/applications`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
      'Idempotency-Key': item.key,
    },
    body: JSON.stringify(body),
  });
  const json = (response.headers.get('Content-Type') || '').startsWith('application/json');
  const answer = json ? await response.json().catch(() => null) : null;
  return { status: response.status, answer };
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
  let content;
  try {
    content = await outbox.unseal(ctx.key, item.sealed);
  } catch {
    // Sealed under another PIN (another window's shift): it waits for that PIN.
    return { item, group: 'waiting' };
  }
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
  const errors = answer && Array.isArray(answer.errors) ? answer.errors : null;
  if (status === 201 && answer && typeof answer.id === 'string') {
    item.status = 'sent';
    item.applicationId = answer.id;
    item.sentAt = new Date().toISOString();
    item.problem = null;
    await outbox.put(item);
    return { item, group: 'sent' };
  }
  if (status === 401 && errors) {
    return { item, group: 'waiting', stopped: 'signin' };
  }
  const duplicate = status === 409 && errors !== null && errors.some((e) => e.duplicate_of !== undefined);
  // A refusal is onestop's own answer, with its errors: anything else (a proxy's page, a
  // timeout's 5xx, "still being stored", too many requests, an answer cut short) may hide a
  // stored application, so the item stays `sending` and goes again with its key.
  const refused = errors !== null && status >= 400 && status < 500
    && ![401, 409, 429].includes(status);
  if (!duplicate && !refused) {
    return { item, group: 'waiting' };
  }
  item.status = duplicate ? 'duplicate' : 'correct';
  item.problem = await outbox.seal(ctx.key, errors.map((e) => ({
    pointer: e.pointer || '', message: e.message, duplicateOf: e.duplicate_of,
  })));
  await outbox.put(item);
  return { item, group: item.status };
}
