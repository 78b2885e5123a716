import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Response } from 'playwright-core';
import { expect, test } from 'vitest';
import { maskKey } from '@ork/shared';
import { chat } from '../support/client.js';
import { startStack } from '../support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const USER = 'admin';
const PASS = 'browser-check-5d2a';

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`bull-board browser check skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

test.skipIf(missing)('headless Chromium opens Bull Board with Basic auth, sees every key queue; refused without', async () => {
  const stack = await startStack({
    keys: 3,
    env: { AUTH_ENABLED: 'true', AUTH_USERNAME: USER, AUTH_PASSWORD: PASS, KEY_MIN_INTERVAL_MS: '0' },
  });
  const profile = await mkdtemp(join(tmpdir(), 'ork-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    await Promise.all([chat(stack.url, 'seen in the board'), chat(stack.url, 'and another')]);
    const board = `${stack.url}/admin/queues`;

    // Refused: every answer for the page is a 401 challenge, and headless Chromium (no prompt to
    // show) gives the navigation up or shows the error body; never the board. A page of its own
    // each time, so the error page Chromium shows next cannot cut into a later navigation.
    const refused = async (): Promise<void> => {
      const page = await context.newPage();
      const answers: { status: number; challenge: string | undefined }[] = [];
      const onResponse = (r: Response): void => {
        if (r.url() === board) answers.push({ status: r.status(), challenge: r.headers()['www-authenticate'] });
      };
      page.on('response', onResponse);
      await page.goto(board).catch((err: unknown) => err);
      page.off('response', onResponse);
      await page.close();
      expect(answers.length).toBeGreaterThan(0);
      for (const a of answers) {
        expect(a.status).toBe(401);
        expect(a.challenge).toMatch(/^Basic realm=/);
      }
    };
    await refused();
    await context.setHTTPCredentials({ username: USER, password: 'wrong' });
    await refused();

    await context.setHTTPCredentials({ username: USER, password: PASS });
    const page = await context.newPage();
    expect((await page.goto(board))?.status()).toBe(200);
    for (const key of stack.keys) {
      await page.getByText(maskKey(key), { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
    }
    // Each card's info tip holds the key's state: hover a key's card (the paid queue has one too)
    // so the screenshot shows it.
    const keyTip = page.getByText(/^active · account \S+ \(upstream\) · account today \d+( \(no limit\)|\/200)/).first();
    for (const trigger of await page.locator('[data-base-ui-tooltip-trigger]').all()) {
      await trigger.hover();
      if (await keyTip.isVisible()) break;
    }
    await keyTip.waitFor({ timeout: 15_000 });
    const html = await page.content();
    for (const key of stack.keys) expect(html).not.toContain(key.slice(9, 40));
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'bull-board.png'))).toBe(true);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
    await stack.close();
  }
});
