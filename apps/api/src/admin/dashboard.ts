import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router, type RequestHandler } from 'express';
import { NotFoundError } from '@ork/shared';

export const DASHBOARD_PATH = '/admin';
const ASSETS_PATH = `${DASHBOARD_PATH}/assets`;

// Same depth from src/admin and dist/admin, so tests on the sources and the built service find them.
const STATIC_DIR = fileURLToPath(new URL('../../ui/static/', import.meta.url));
const SCRIPT_DIR = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/**
 * Scripts only from this origin (no inline code), data only from this origin, never framed:
 * a page that holds admin credentials must not run or load anything it did not serve itself.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('content-security-policy', DASHBOARD_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cache-control', 'no-store');
  next();
};

/** The only files served: the page's own script modules, its stylesheet and its icon. */
function assetFile(name: string): string | undefined {
  if (/^[a-z][a-z-]*\.js$/.test(name)) return `${SCRIPT_DIR}${name}`;
  if (name === 'dashboard.css' || name === 'icon.svg') return `${STATIC_DIR}${name}`;
  return undefined;
}

/** GET /admin: the operator's page; it reads /api/status and /api/keys like any script. Mount behind the admin guard. */
export function dashboardRouter(): Router {
  const router = Router();
  router.get([DASHBOARD_PATH, `${DASHBOARD_PATH}/`], pageHeaders, (_req, res) => {
    res.type('html').sendFile(`${STATIC_DIR}dashboard.html`);
  });
  router.get(`${ASSETS_PATH}/:file`, pageHeaders, (req, res, next) => {
    const name = typeof req.params.file === 'string' ? req.params.file : '';
    const file = assetFile(name);
    if (!file || !existsSync(file)) return next(new NotFoundError(`No dashboard asset ${name}.`));
    res.sendFile(file);
  });
  return router;
}
