// (issue 8) Reading an article counts: the page sends its beacon (no inline
// script: the CSP forbids it), and after the refresh window the number on
// the page — a cached page, rendered before the read — rises. run.sh sets
// [views] flush_interval = 1 and refresh = 2 so that the window is short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, guardRequests, discover } from './lib.mjs';

// A reader's browser: headless Chromium's own user agent says
// "HeadlessChrome", which the bot list rightly leaves out.
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

let ctx, guard;

before(async () => {
	ctx = await openContext({ userAgent: UA });
	guard = await guardRequests(ctx.context);
});
after(async () => {
	await ctx?.close();
});

const number = (s) => Number(String(s).replace(/,/g, ''));

test('reading an article sends one beacon and the count on the page rises after the refresh window', async () => {
	const { articles } = await discover();
	// the last of the home page's articles: the other tests read the first ones
	const path = articles[articles.length - 1];
	// render it into the page cache first, so the page the reader gets is
	// one cached before the read
	const warm = await fetch(BASE + path);
	assert.equal(warm.status, 200);
	const page = await ctx.context.newPage();
	const errors = [];
	page.on('console', (m) => {
		if (m.type() === 'error') {
			errors.push(m.text());
		}
	});
	await page.goto(BASE + path, { waitUntil: 'load' });
	const el = page.locator('.article .views');
	const id = await el.getAttribute('data-views-id');
	assert.match(id, /^[0-9]+$/);
	const shown = number(await page.locator('.article .views__count').textContent());
	assert.ok(shown >= 0, 'a number is shown');
	assert.match(await el.textContent(), /[0-9,]+ Views/);
	await page.waitForFunction(
		(min) => Number(document.querySelector('.article .views__count').textContent.replace(/,/g, '')) >= min,
		shown + 1, { timeout: 30000 });
	const beacons = guard.all.filter((u) => new URL(u).pathname === `/views/${id}`);
	assert.equal(beacons.length, 1, `one beacon: ${beacons.join(' ')}`);
	assert.ok(guard.all.some((u) => new URL(u).pathname === `/views/${id}.json`), 'the count was fetched');
	// the no-JavaScript pixel is not loaded when the script runs
	assert.ok(!guard.all.some((u) => new URL(u).pathname === `/views/${id}.gif`), 'no pixel with JavaScript');
	assert.deepEqual(errors, [], 'no console errors (a CSP violation would show here)');
	await page.close();
});
