import type { Principal } from '@kadai/db';
import type { Request, Response } from 'express';
import { html, type Html } from './html';
import { chooseLang, translator, type Lang, type T } from './i18n';

export interface PageContext {
  lang: Lang;
  t: T;
  principal?: Principal;
  csrfToken?: string;
  /** The current path with `?lang=` for the other language, for the switch link. */
  otherLangHref: string;
}

export function pageContext(req: Request, res: Response): PageContext {
  const lang = chooseLang(req, res);
  const query = new URLSearchParams(req.query as Record<string, string>);
  query.set('lang', lang === 'ja' ? 'en' : 'ja');
  return { lang, t: translator(lang), principal: req.principal, csrfToken: req.webSession?.csrfToken, otherLangHref: `${req.path}?${query}` };
}

/**
 * Every page: one stylesheet and one script, both served by kadai itself (no CDN), a skip link, a
 * landmark per region and the language in <html lang>. The CSP allows nothing but this origin.
 */
export function sendPage(res: Response, ctx: PageContext, title: string, body: Html, status = 200): void {
  const { t } = ctx;
  const page = html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${ctx.csrfToken ? html`<meta name="csrf-token" content="${ctx.csrfToken}">` : ''}
<title>${title} — kadai</title>
<link rel="stylesheet" href="/assets/kadai.css">
<script src="/assets/kadai.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t('skip')}</a>
<header>
<nav aria-label="kadai">
<a href="/" class="brand">${t('kadai')}</a>
${ctx.principal?.role === 'admin' ? html`<a href="/admin">${t('administration')}</a>` : ''}
<a href="/reference">${t('apiReference')}</a>
<a href="${ctx.otherLangHref}" lang="${ctx.lang === 'ja' ? 'en' : 'ja'}">${t('language')}</a>
${ctx.principal && ctx.csrfToken
  ? html`<form method="post" action="/sign-out" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrfToken}"><span>${ctx.principal.login}</span> <button type="submit">${t('signOut')}</button></form>`
  : ''}
</nav>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
  res
    .status(status)
    .set('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'")
    .set('x-content-type-options', 'nosniff')
    .set('referrer-policy', 'same-origin')
    .set('cache-control', 'no-store')
    .type('html')
    .send(page.text);
}
