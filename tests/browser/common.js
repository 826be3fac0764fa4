// What the browser tests share: the server's address, the browser, the accessibility audit and
// the screenshots of each page at desktop and 360 px width, the first run's demo passwords.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = process.env.ONESTOP_URL || 'http://127.0.0.1:8080';
const SHOTS = process.env.SCREENSHOTS || path.join(__dirname, '..', '..', 'target', 'screenshots');
const WAIT = { timeout: 30000 };

/** The browser of this file's tests (launched before the first, closed after the last). */
const shared = { browser: null };

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  shared.browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

test.after(async () => {
  if (shared.browser) await shared.browser.close();
});

// axe-core's own engine, put into each page through the browser's protocol (as a page's
// scripts are not: the pages' Content-Security-Policy allows no inline script).
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// WCAG 2.1 level A and AA, which ДСТУ EN 301 549:2022 requires of web pages.
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The page as it stands checked by axe-core against WCAG 2.1 A and AA: any violation fails the
 * test, each named with its rule, impact, help and the elements (CSS selectors) at fault.
 */
async function audit(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const { violations } = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
  }), WCAG_21_AA);
  const found = violations.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.map((n) => `    at ${n.target.join(' ')}`).join('\n'));
  assert.equal(found.length, 0, `${name}: ${found.length} accessibility violation(s) of WCAG 2.1 AA at ` +
    `${page.viewportSize().width} px:\n${found.join('\n')}`);
}

/** A full-page screenshot at desktop width and at 360 px, each width audited for accessibility. */
async function shoot(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await audit(page, name);
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 780 });
  await audit(page, name);
  await page.screenshot({ path: path.join(SHOTS, `${name}-360.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than a 360 px screen`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The one-time password the server printed for `login` on its first run. */
function demoPassword(login) {
  const text = fs.readFileSync(process.env.ONESTOP_FIRST_RUN, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${login} `));
  assert.ok(line, `the first run printed ${login}`);
  return line.trim().split(/\s+/).pop();
}

/** The PDF's text (poppler's pdftotext), lines joined by spaces. */
function pdfText(file) {
  const text = require('node:child_process').execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  return text.replace(/\s+/g, ' ');
}

module.exports = { BASE, SHOTS, WAIT, shared, audit, shoot, demoPassword, pdfText };
