import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { expect, test } from 'vitest';
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

test.skipIf(missing)(
  'the dashboard in headless Chromium: log in, create a client key, see it used, change its rate limit, revoke it',
  async () => {
    const stack = await startStack({
      keys: 3,
      env: { AUTH_ENABLED: 'true', AUTH_USERNAME: USER, AUTH_PASSWORD: PASS, API_KEY_AUTH_ENABLED: 'true', KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_DAY: '50' },
    });
    const profile = await mkdtemp(join(tmpdir(), 'ork-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: DESKTOP });
    try {
      // Some history for the figures: a script's key in use, one upstream failure, one invalid upstream key.
      const admin = { authorization: basic(USER, PASS) };
      const script = await issueKey(stack.url, { name: 'nightly-report script', rateLimit: 60 }, admin);
      for (let i = 0; i < 4; i++) expect((await chat(stack.url, `report ${i}`, bearer(script.key))).status).toBe(200);
      await stack.sim.configure({ faults: [{ key: stack.keys[2], status: 401, times: 1 }] });
      for (let i = 0; i < 3; i++) await chat(stack.url, `more ${i}`, bearer(script.key));

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

      // Create a key with the keyboard: type the name, Tab to the limit, Enter submits.
      await page.locator('#new-name').focus();
      await page.keyboard.type('n8n production');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      const newKey = (await page.locator('#new-key').textContent()) ?? '';
      expect(newKey).toMatch(/^sk-ork-[A-Za-z0-9_-]{43}$/);
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('issued-title');
      await page.locator('#copy-new-key').click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(newKey);
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
      const board = await context.request.get(`${stack.url}${link}`);
      expect(board.status()).toBe(200);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      await stack.close();
    }
  },
  120_000,
);
