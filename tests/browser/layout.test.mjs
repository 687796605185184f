// (a) The pages fit small and large screens: no horizontal scrolling at
// 320 px or 1280 px, the headline in view; (g) screenshots for a person to
// look at (kept in $MASTHEAD_SHOTS or a temp folder, never committed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE, openContext, discover } from './lib.mjs';

let ctx, urls, shots;

before(async () => {
	ctx = await openContext();
	urls = await discover();
	if (process.env.MASTHEAD_SHOTS) {
		shots = process.env.MASTHEAD_SHOTS;
		mkdirSync(shots, { recursive: true });
	} else {
		shots = await mkdtemp(path.join(tmpdir(), 'masthead-shots-'));
	}
});
after(async () => {
	await ctx?.close();
});

async function check(pathname, width, headlineSelector) {
	const page = await ctx.context.newPage();
	try {
		await page.setViewportSize({ width, height: 900 });
		const res = await page.goto(BASE + pathname, { waitUntil: 'load' });
		assert.equal(res.status(), 200, `${pathname} answered ${res.status()}`);
		const m = await page.evaluate(() => ({
			scroll: document.documentElement.scrollWidth,
			inner: window.innerWidth,
			wide: [...document.querySelectorAll('body *')]
				.filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
				.slice(0, 5)
				.map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')),
		}));
		assert.ok(m.scroll <= m.inner,
			`${pathname} at ${width}px scrolls sideways: scrollWidth ${m.scroll} > ${m.inner} (${m.wide.join(', ')})`);
		const h = page.locator(headlineSelector).first();
		assert.ok(await h.isVisible(), `${pathname} at ${width}px: ${headlineSelector} not visible`);
		const box = await h.boundingBox();
		assert.ok(box && box.x >= 0 && box.x + box.width <= width + 1, `${pathname}: headline outside the viewport`);
		assert.ok(box.height > 0 && box.width > 0);
		return page;
	} catch (e) {
		await page.close();
		throw e;
	}
}

for (const width of [320, 1280]) {
	test(`home fits ${width}px without sideways scrolling`, async () => {
		const page = await check('/', width, '.lead-story__headline');
		await page.screenshot({ path: path.join(shots, `home-${width}.png`), fullPage: true });
		await page.close();
	});
	test(`section front fits ${width}px without sideways scrolling`, async () => {
		const page = await check(urls.front, width, 'h1');
		await page.screenshot({ path: path.join(shots, `front-${width}.png`), fullPage: false });
		await page.close();
	});
	test(`article fits ${width}px without sideways scrolling`, async () => {
		const page = await check(urls.articles[0], width, '.article__headline');
		await page.screenshot({ path: path.join(shots, `article-${width}.png`), fullPage: true });
		// The sidebar sits beside the article on a desktop, below it on a phone.
		const [main, side] = await Promise.all(['.page__main', '.page__sidebar']
			.map((s) => page.locator(s).boundingBox()));
		if (width >= 960) {
			assert.ok(side.x >= main.x + main.width, 'sidebar beside main at desktop width');
		} else {
			assert.ok(side.y >= main.y + main.height - 1, 'sidebar below main on a phone');
		}
		await page.close();
	});
}

test('screenshots were written', () => {
	console.log(`# screenshots in ${shots}`);
	assert.ok(shots);
});

test('keyboard focus is visible', async () => {
	const page = await ctx.context.newPage();
	await page.goto(BASE + urls.articles[0]);
	await page.keyboard.press('Tab'); // the skip link
	const skip = await page.evaluate(() => {
		const a = document.activeElement;
		const s = getComputedStyle(a);
		return { cls: a.className, outline: s.outlineStyle, width: parseFloat(s.outlineWidth), top: a.getBoundingClientRect().top };
	});
	assert.equal(skip.cls, 'skip-link');
	assert.ok(skip.top >= 0, 'the skip link comes into view when focused');
	await page.keyboard.press('Tab');
	const link = await page.evaluate(() => {
		const s = getComputedStyle(document.activeElement);
		return { outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
	});
	assert.notEqual(link.outline, 'none', 'a focused link shows an outline');
	assert.ok(link.width >= 2);
	await page.close();
});
