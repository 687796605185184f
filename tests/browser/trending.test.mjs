// (issue 8) Trending on a cached page: the page keeps the lists as they were
// when it was rendered (it is not dropped when they change), and the theme's
// trending.js replaces them from /trending.json. run.sh sets [views]
// flush_interval = 1 and [trending] interval = 2 so that this takes seconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, guardRequests, discover } from './lib.mjs';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

let ctx, guard;

before(async () => {
	ctx = await openContext({ userAgent: UA });
	guard = await guardRequests(ctx.context);
});
after(async () => {
	await ctx?.close();
});

test('a page cached before the reads shows the new Trending list once trending.js has run', async () => {
	const { articles, author } = await discover();
	// an article the other tests do not read, and a page that shows the box
	const path = articles[Math.max(0, articles.length - 2)];
	const art = await fetch(BASE + path);
	assert.equal(art.status, 200);
	const id = /data-views-id="([0-9]+)"/.exec(await art.text())[1];
	// the author page, rendered into the page cache before the reads
	const warm = await fetch(BASE + author);
	assert.equal(warm.status, 200);
	// 6 readers make it the most read (other tests read an article once,
	// or are bots); few, since they share this address's beacon limit with
	// the other tests (past it they wait as told)
	for (let k = 0; k < 6; k++) {
		for (;;) {
			const r = await fetch(`${BASE}/views/${id}`, {
				method: 'POST',
				headers: { 'User-Agent': `${UA} TrendingReader/${k}`, 'Content-Type': 'text/plain' },
			});
			if (r.status === 429) {
				const wait = Number(r.headers.get('retry-after')) || 1;
				await new Promise((res) => setTimeout(res, wait * 1000));
				continue;
			}
			assert.equal(r.status, 204);
			break;
		}
	}
	const deadline = Date.now() + 30000;
	let top = null;
	while (Date.now() < deadline) {
		const j = await (await fetch(`${BASE}/trending.json`)).json();
		top = j.articles[0];
		if (top && top.id === Number(id)) {
			break;
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	assert.equal(top?.id, Number(id), 'the article tops /trending.json');
	assert.equal(top.url, path);

	const page = await ctx.context.newPage();
	const errors = [];
	page.on('console', (m) => {
		if (m.type() === 'error') {
			errors.push(m.text());
		}
	});
	const resp = await page.goto(BASE + author, { waitUntil: 'load' });
	const served = await resp.text();
	assert.ok(served.includes('widget--trending'), 'the page has the Trending box');
	const box = served.slice(served.indexOf('widget--trending'));
	assert.ok(!box.slice(0, box.indexOf('</ol>')).includes(`href="${path}"`),
		'the page as served (cached before the reads) does not list the article yet');
	const first = page.locator('.widget--trending ol.trending li:first-child a');
	await first.waitFor({ state: 'visible', timeout: 30000 });
	await page.waitForFunction((p) => {
		const a = document.querySelector('.widget--trending ol.trending li:first-child a');
		return a && a.getAttribute('href') === p;
	}, path, { timeout: 30000 });
	assert.equal(await first.textContent(), top.headline);
	assert.match(await page.locator('.widget--trending ol.trending li:first-child .trending__views').textContent(),
		/^[0-9,]+ Views$/);
	assert.ok(guard.all.some((u) => new URL(u).pathname === '/trending.json'), 'the list was fetched');
	assert.deepEqual(errors, [], 'no console errors (a CSP violation would show here)');
	await page.close();
});
