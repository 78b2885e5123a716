import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashClientKey } from '@ork/shared';
import { basic, issueKey } from './admin-helpers.js';
import { chat } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const USER = 'admin';
const PASS = 'dashboard-check-8c1f';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`admin dashboard browser check skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const bearer = (key: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${key}` } });

/** Screenshots of the three views, for the README; `name` is the viewport's. */
async function shoot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const view of ['pool', 'accounts', 'clients']) {
    const path = join(ARTIFACTS, `admin-${view}-${name}.png`);
    await page.locator(`#${view}`).screenshot({ path });
    expect(existsSync(path)).toBe(true);
  }
  await page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });
}

/** Nothing the page holds or fetched may contain an upstream key or a client key's hash. */
async function expectNoSecrets(page: Page, stack: Stack, clientKeyHashes: string[]): Promise<void> {
  const texts = [
    await page.content(),
    await page.evaluate(async () => (await fetch('/api/status')).text()),
    await page.evaluate(async () => (await fetch('/api/keys')).text()),
  ];
  for (const text of texts) {
    for (const upstreamKey of stack.keys) expect(text).not.toContain(upstreamKey.slice(12, 40));
    for (const hash of clientKeyHashes) expect(text).not.toContain(hash);
  }
}

describe.skipIf(missing)('the dashboard in headless Chromium', () => {
  let stack: Stack;
  let profile: string;
  let context: BrowserContext;
  beforeAll(async () => {
    stack = await startStack({
      keys: 3,
      env: { AUTH_ENABLED: 'true', AUTH_USERNAME: USER, AUTH_PASSWORD: PASS, API_KEY_AUTH_ENABLED: 'true', KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_DAY: '50' },
    });
    profile = await mkdtemp(join(tmpdir(), 'ork-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: DESKTOP });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await stack?.close();
  });

  test('log in, create a client key, see it used, change its rate limit, revoke it', async () => {
    // Some history for the figures: a script's key in use.
    const admin = { authorization: basic(USER, PASS) };
    const script = await issueKey(stack.url, { name: 'nightly-report script', rateLimit: 60 }, admin);
    for (let i = 0; i < 4; i++) expect((await chat(stack.url, `report ${i}`, bearer(script.key))).status).toBe(200);
    // One key OpenRouter rejects, one that hits its per-minute limit (a forced 429: the reset is 45 s away).
    const perMinute = { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Date.now() + 45_000) };
    await stack.sim.configure({
      faults: [
        { key: stack.keys[2], status: 401, times: 1 },
        { key: stack.keys[1], status: 429, times: 1, body: { error: { message: 'Rate limit exceeded: free-models-per-min.', code: 429, metadata: { headers: perMinute } } } },
      ],
    });
    for (let i = 0; i < 6; i++) expect((await chat(stack.url, `more ${i}`, bearer(script.key))).status).toBe(200);

    const admin401 = await fetch(`${stack.url}/admin`);
    expect(admin401.status).toBe(401);
    await context.setHTTPCredentials({ username: USER, password: PASS });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));

    const res = await page.goto(`${stack.url}/admin`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('[data-stat=answered] .stat-value').filter({ hasText: /^\d+$/ }).waitFor();
    await page.locator('#live.ok').waitFor();
    await page.locator('[data-account]').nth(2).waitFor();
    await page.locator('.reason', { hasText: 'OpenRouter rejected the key (401)' }).first().waitFor({ timeout: 15_000 });
    await page.locator('.badge', { hasText: /^Cooling down until \d\d:\d\d:\d\d UTC$/ }).first().waitFor();

    // Create a key with the keyboard: type the name, Tab to the limit, Enter submits.
    await page.locator('#new-name').focus();
    await page.keyboard.type('n8n production');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const newKey = (await page.locator('#new-key').textContent()) ?? '';
    expect(newKey).toMatch(/^sk-ork-[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('issued-title');
    await page.locator('#copy-new-key').click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(newKey);
    await expect.poll(() => page.locator('#copy-new-key').textContent()).toBe('Copied');
    const snippets = (await page.locator('.snippets').textContent()) ?? '';
    expect(snippets).toContain(`baseURL: '${stack.url}/v1'`);
    expect(snippets).toContain(`base_url="${stack.url}/v1"`);
    expect(snippets).toContain(`Base URL: ${stack.url}/v1`);
    expect(snippets.split(newKey).length - 1).toBe(4);

    // Used by a request: the row counts it without a reload.
    const row = page.locator('tr[data-client-key]', { hasText: 'n8n production' });
    await expect.poll(() => row.locator('[data-field=today]').textContent()).toMatch(/^0 req/);
    expect((await chat(stack.url, 'from n8n', bearer(newKey))).status).toBe(200);
    await row.locator('[data-field=today]', { hasText: /^1 req/ }).waitFor({ timeout: 10_000 });
    await row.locator('[data-field=total]', { hasText: /^1 req/ }).waitFor();
    await page.locator('[data-stat=errors] .stat-value', { hasText: /^[1-9]/ }).waitFor();

    await shoot(page, 'desktop');
    await page.setViewportSize(PHONE);
    await shoot(page, 'phone');
    await page.setViewportSize(DESKTOP);

    // Dismissed, the key is gone from the page for good.
    await page.locator('#dismiss-issued').click();
    expect(await page.content()).not.toContain(newKey);
    await expectNoSecrets(page, stack, [hashClientKey(newKey), hashClientKey(script.key)]);

    // Change its rate limit to 1 a minute in the dialog: the next request passes, the one after is refused.
    // Keyboard: the Edit button opens its dialog, Escape closes it and focus comes back to the button.
    await row.getByRole('button', { name: /^Edit/ }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#edit-dialog[open]').waitFor();
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('edit-name');
    await page.keyboard.press('Escape');
    await page.locator('#edit-dialog[open]').waitFor({ state: 'detached' });
    await expect.poll(() => page.locator(':focus').getAttribute('data-focus')).toMatch(/^edit-ck_/);

    await row.getByRole('button', { name: /^Edit/ }).click();
    await page.locator('#edit-dialog[open]').waitFor();
    await page.locator('#edit-rate').fill('1');
    await page.locator('#edit-dialog').getByRole('button', { name: 'Save' }).click();
    await page.locator('#edit-dialog[open]').waitFor({ state: 'detached' });
    await row.locator('[data-field=rate-limit]', { hasText: '1 / min' }).waitFor();
    expect((await chat(stack.url, 'within the limit', bearer(newKey))).status).toBe(200);
    const limited = await chat(stack.url, 'over the limit', bearer(newKey));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);

    // Revoke it: confirmed in a dialog, gone from the list, and the next request is refused.
    await row.getByRole('button', { name: /^Revoke/ }).click();
    await page.locator('#revoke-dialog[open]').waitFor();
    await page.locator('#revoke-confirm').click();
    await row.waitFor({ state: 'detached' });
    const refused = await chat(stack.url, 'after revocation', bearer(newKey));
    expect(refused.status).toBe(401);
    expect((await chat(stack.url, 'the other key still works', bearer(script.key))).status).toBe(200);

    // The board still answers behind the same login, and each account links to its queue.
    const link = (await page.locator('[data-account] a', { hasText: 'Open queue' }).first().getAttribute('href')) ?? '';
    expect(link).toMatch(/^\/admin\/queues\/queue\/key-/);
    // The first key's mask (an account card also shows the account's own id in a `code`).
    const masked = (await page.locator('[data-account] code', { hasText: /^sk-or-/ }).first().textContent()) ?? '';
    expect(problems).toEqual([]);
    await page.locator('[data-account] a', { hasText: 'Open queue' }).first().click();
    await page.waitForURL(`${stack.url}${link}`);
    await page.getByText(masked, { exact: true }).first().waitFor({ timeout: 15_000 });
  }, 120_000);

  test('keys grouped by account (the per-account /api/status) show as one card per account', async () => {
    // The same page over a status that groups keys by account, as servers with per-account limits answer.
    const page = await context.newPage();
    await page.route('**/api/status', async (route) => {
      const response = await route.fetch();
      const status = (await response.json()) as { keys: { id: string; today: { started: number } }[] };
      const [a, b, c] = status.keys;
      const used = (a?.today.started ?? 0) + (b?.today.started ?? 0);
      const accounts = [
        {
          id: 'user_2x…9Qa',
          known: true,
          source: 'upstream',
          keys: [a?.id, b?.id],
          today: { used, limit: 50, remaining: 50 - used, upstreamUsed: used + 2, upstreamLimit: 50, limitSource: 'upstream' },
          minute: { used: 1, limit: 20 },
          nextFreeAt: new Date().toISOString(),
        },
        {
          id: c?.id,
          known: false,
          source: 'key',
          keys: [c?.id],
          today: { used: c?.today.started ?? 0, limit: 50, remaining: 50 - (c?.today.started ?? 0), upstreamUsed: null, upstreamLimit: null, limitSource: 'config' },
          minute: { used: 0, limit: 20 },
          nextFreeAt: null,
        },
      ];
      await route.fulfill({ response, json: { ...status, accounts } });
    });
    await page.goto(`${stack.url}/admin`);
    const card = page.locator('article[data-account="user_2x…9Qa"]');
    await card.waitFor();
    await expect.poll(() => card.locator('tbody tr').count()).toBe(2);
    await card.getByText('OpenRouter reports').waitFor();
    await page.getByText('Keys of unknown accounts').waitFor();
    await page.locator('#accounts').screenshot({ path: join(ARTIFACTS, 'admin-accounts-grouped-desktop.png') });
    await page.close();
  });
});
