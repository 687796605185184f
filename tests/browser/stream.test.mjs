// (c) The Continue Reading stream under an article: more articles load as the
// reader scrolls, the address bar and title follow the article in view, and
// the stream stops at the end without repeats. (e) Without JavaScript the
// stream is plain links, and the next-story link navigates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, discover } from './lib.mjs';

let ctx, noJs, urls;

before(async () => {
	ctx = await openContext();
	noJs = await openContext({ javaScriptEnabled: false });
	urls = await discover();
});
after(async () => {
	await ctx?.close();
	await noJs?.close();
});

const count = (page) => page.locator('.stream .stream-item').count();

async function scrollToEnd(page) {
	await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
}

test('scrolling to the end loads more stream items, without repeats', async () => {
	const page = await ctx.context.newPage();
	await page.goto(BASE + urls.articles[0], { waitUntil: 'networkidle' });
	const first = await count(page);
	assert.ok(first >= 1, 'the article page starts with stream items');
	assert.ok(await page.locator('.stream').getAttribute('data-more'), 'the stream names its next batch');
	let n = first;
	for (let i = 0; i < 3; i++) {
		await scrollToEnd(page);
		await page.waitForFunction((k) => document.querySelectorAll('.stream .stream-item').length > k, n,
			{ timeout: 20000 });
		n = await count(page);
	}
	assert.ok(n >= first + 3, `items grew from ${first} to ${n}`);
	const seen = await page.$$eval('.stream .stream-item', (els) => els.map((e) => e.dataset.url));
	assert.equal(new Set(seen).size, seen.length, 'no article appears twice');
	assert.ok(!seen.includes(urls.articles[0]), 'the main article is not repeated');
	await page.close();
});

test('the address bar and title follow the stream item in view', async () => {
	const page = await ctx.context.newPage();
	const start = BASE + urls.articles[0];
	await page.goto(start, { waitUntil: 'networkidle' });
	const firstTitle = await page.title();
	await scrollToEnd(page);
	await page.waitForFunction(() => document.querySelectorAll('.stream .stream-item').length >= 4, null,
		{ timeout: 20000 });
	// Bring a loaded item (not one of the first batch) to the top.
	const item = page.locator('.stream .stream-item').nth(3);
	const want = await item.getAttribute('data-url');
	const headline = await item.getAttribute('data-headline');
	await item.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 40));
	await page.waitForFunction((u) => location.pathname === u, want, { timeout: 20000 });
	assert.equal(new URL(page.url()).pathname, want);
	assert.ok((await page.title()).includes(headline), 'the title names the article in view');
	// The first stream item, then back to the main article.
	const one = page.locator('.stream .stream-item').first();
	const oneUrl = await one.getAttribute('data-url');
	await one.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 40));
	await page.waitForFunction((u) => location.pathname === u, oneUrl, { timeout: 20000 });
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.waitForFunction((u) => location.href === u, start, { timeout: 20000 });
	assert.equal(await page.title(), firstTitle);
	// Reloading at a stream item's URL opens that article.
	await item.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 40));
	await page.waitForFunction((u) => location.pathname === u, want, { timeout: 20000 });
	await page.reload({ waitUntil: 'load' });
	assert.equal(await page.locator('.article__headline').textContent(), headline);
	assert.ok(await page.evaluate(() => window.scrollY) < 100, 'the reloaded article opens at its top');
	await page.close();
});

test('the stream ends when there is nothing more, and shows a Loading state meanwhile', async () => {
	const page = await ctx.context.newPage();
	await page.route('**/stream/**', async (route) => {
		await new Promise((r) => setTimeout(r, 300)); // long enough to see the Loading state
		await route.continue();
	});
	await page.goto(BASE + urls.articles[0], { waitUntil: 'load' });
	let sawLoading = false;
	// bounded by time, not by a count of scrolls: on a busy machine a
	// scroll may land before the previous batch is laid out and fetch nothing
	const deadline = Date.now() + 120000;
	while (Date.now() < deadline) {
		if ((await page.locator('.stream').getAttribute('data-more')) === '') {
			break;
		}
		await scrollToEnd(page);
		await page.waitForTimeout(120);
		if (/Loading/.test(await page.locator('.stream__status').textContent())) {
			sawLoading = true;
		}
		await page.waitForFunction(() => !document.querySelector('.stream[aria-busy="true"]'), null,
			{ timeout: 20000 });
	}
	assert.equal(await page.locator('.stream').getAttribute('data-more'), '', 'the stream reached its end');
	assert.ok(sawLoading, 'a Loading… state showed while fetching');
	const seen = await page.$$eval('.stream .stream-item', (els) => els.map((e) => e.dataset.url));
	assert.equal(new Set(seen).size, seen.length, 'no article appears twice');
	assert.ok(seen.length >= 10, `the whole Latest stream followed (${seen.length} items)`);
	await page.close();
});

test('a failed fetch leaves the plain links working', async () => {
	const page = await ctx.context.newPage();
	await page.route('**/stream/**', (route) => route.fulfill({ status: 500, body: 'no' }));
	await page.goto(BASE + urls.articles[0], { waitUntil: 'load' });
	const before = await count(page);
	await scrollToEnd(page);
	await page.waitForFunction(() => document.querySelector('.stream').getAttribute('data-more') === '', null,
		{ timeout: 20000 });
	assert.equal(await count(page), before);
	assert.ok(await page.locator('.stream__next a').isVisible(), 'the next-story link shows again');
	assert.ok(await page.locator('.stream__all a').isVisible(), 'More stories shows');
	await page.close();
});

test('without JavaScript the stream is plain Continue Reading links and a next link', async () => {
	const page = await noJs.context.newPage();
	await page.goto(BASE + urls.articles[0], { waitUntil: 'load' });
	assert.equal(await page.locator('html.js').count(), 0, 'site.js did not run');
	const items = page.locator('.stream .stream-item');
	const n = await items.count();
	assert.ok(n >= 1, 'stream items are in the page itself');
	for (let i = 0; i < n; i++) {
		const it = items.nth(i);
		const link = it.locator('a.continue');
		assert.match(await link.textContent(), /^Continue Reading/);
		assert.equal(await link.getAttribute('href'), await it.getAttribute('data-url'));
		assert.ok(await link.isVisible());
	}
	const more = page.locator('.stream__all a');
	assert.ok(await more.isVisible(), 'More stories is there');
	assert.equal((await more.textContent()).trim(), 'More stories');
	const moreHref = await more.getAttribute('href');
	const next = page.locator('.stream__next a[rel="next"]');
	assert.ok(await next.isVisible(), 'the next story link shows without JavaScript');
	const href = await next.getAttribute('href');
	assert.equal(href, await items.first().getAttribute('data-url'), 'next is the first stream item');
	const headline = await items.first().getAttribute('data-headline');
	await Promise.all([page.waitForURL(BASE + href), next.click()]);
	assert.equal(await page.locator('.article__headline').textContent(), headline);
	// and More stories leads to a list page that answers
	const res = await page.goto(new URL(moreHref, BASE).href);
	assert.equal(res.status(), 200);
	await page.close();
});
