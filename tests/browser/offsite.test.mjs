// (b) A reader's browser asks nothing of any host but ours: no CDN, no web
// fonts, no analytics, no video host — on every page type and while clicking
// around and scrolling the stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, ORIGIN, openContext, guardRequests, discover } from './lib.mjs';

let ctx, guard, urls;

before(async () => {
	ctx = await openContext();
	guard = await guardRequests(ctx.context);
	urls = await discover();
});
after(async () => {
	await ctx?.close();
});

test('every page type loads only from the server', async () => {
	const page = await ctx.context.newPage();
	const paths = ['/', urls.front, urls.articles[0], urls.author, urls.tag, '/no-such-page'].filter(Boolean);
	for (const p of paths) {
		await page.goto(BASE + p, { waitUntil: 'networkidle' });
	}
	assert.ok(guard.all.length >= paths.length * 2, 'pages, styles and scripts were requested');
	assert.ok(guard.all.some((u) => /\/static\/site\.[0-9a-f]+\.css$/.test(u)), 'the fingerprinted stylesheet loads');
	assert.ok(guard.all.some((u) => /\/static\/site\.[0-9a-f]+\.js$/.test(u)), 'the fingerprinted script loads');
	assert.deepEqual(guard.foreign(), []);
	await page.close();
});

test('clicking around and scrolling stays on the server', async () => {
	const page = await ctx.context.newPage();
	await page.goto(BASE + '/', { waitUntil: 'networkidle' });
	// a section from the navigation
	await Promise.all([page.waitForURL(/\/section\//), page.locator('.sections a').nth(1).click()]);
	await page.waitForLoadState('networkidle');
	// its second page, if any
	const next = page.locator('.pagination__next');
	if (await next.count()) {
		await Promise.all([page.waitForURL(/before=/), next.click()]);
		await page.waitForLoadState('networkidle');
	}
	// an article from the list
	await Promise.all([page.waitForURL(/\/articles\//), page.locator('.card__link').first().click()]);
	await page.waitForLoadState('networkidle');
	// scroll the stream a few times
	for (let i = 0; i < 3; i++) {
		await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
		await page.waitForTimeout(400);
	}
	await page.waitForLoadState('networkidle');
	// an author, then a tag
	await page.evaluate(() => window.scrollTo(0, 0));
	await Promise.all([page.waitForURL(/\/author\//), page.locator('.article .byline__author').first().click()]);
	await page.waitForLoadState('networkidle');
	await Promise.all([page.waitForURL(/\/articles\//), page.locator('.card__link').first().click()]);
	const tag = page.locator('.article .tags a').first();
	if (await tag.count()) {
		await Promise.all([page.waitForURL(/\/tag\//), tag.click()]);
		await page.waitForLoadState('networkidle');
	}
	// and home again through the logo
	await Promise.all([page.waitForURL(BASE + '/'), page.locator('.brand').click()]);
	await page.waitForLoadState('networkidle');
	const foreign = guard.foreign();
	assert.deepEqual(foreign, [], `requests left ${ORIGIN}: ${foreign.join(' ')}`);
	await page.close();
});
