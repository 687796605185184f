// Screenshots of the admin for a person to look at: the dashboard, the
// article list (the demo's published, scheduled and draft articles plus a few
// submitted for review here) and the editor of an article with an image, at
// 1280 px and 390 px wide, into $MASTHEAD_SHOTS (run.sh keeps them beside the
// build). At both widths no page scrolls sideways and the editor's fields fit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BASE, openContext, adminLogin, writeArticle } from './lib.mjs';

const SHOTS = process.env.MASTHEAD_SHOTS;
const WIDTHS = [1280, 390];

let ctx, page, withImage;
before(async () => {
	assert.ok(SHOTS, 'MASTHEAD_SHOTS is set (run.sh sets it)');
	mkdirSync(SHOTS, { recursive: true });
	ctx = await openContext();
	page = await adminLogin(ctx.context);
	for (let i = 1; i <= 4; i++) {
		await writeArticle(page, {
			headline: `Council budget, part ${i}: what the ward committees asked for`,
			body: `Part ${i} of the series.`,
			action: 'Submit for review',
		});
	}
	// an article of the demo that has an image, found from the list
	await page.goto(`${BASE}/admin/articles?status=published`);
	const links = await page.$$eval('table.articles a[href^="/admin/articles/"]', (as) => as.map((a) => a.getAttribute('href')));
	for (const l of links) {
		await page.goto(BASE + l);
		if (await page.getByLabel('Image', { exact: true }).inputValue()) {
			withImage = l;
			break;
		}
	}
});
after(async () => {
	await ctx?.close();
});

async function shoot(name, width) {
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert.ok(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
	const file = path.join(SHOTS, `admin-${name}-${width}.png`);
	await page.screenshot({ path: file, fullPage: true });
	assert.ok(statSync(file).size > 5000, `${file} holds a picture`);
}

for (const width of WIDTHS) {
	test(`dashboard, article list and editor at ${width} px`, async () => {
		await page.setViewportSize({ width, height: 900 });
		await page.goto(`${BASE}/admin`);
		await shoot('dashboard', width);

		const cell = 'table.articles tbody tr td:nth-child(2)';
		for (const s of ['draft', 'review', 'scheduled', 'published']) {
			await page.goto(`${BASE}/admin/articles?status=${s}`);
			const shown = await page.$$eval(cell, (tds) => tds.map((t) => t.textContent.trim()));
			assert.ok(shown.length > 0 && shown.every((x) => x === s), `the list filtered by ${s} shows ${s} articles only (${shown.join(', ')})`);
		}
		await page.goto(`${BASE}/admin/articles`);
		const statuses = new Set(await page.$$eval(cell, (tds) => tds.map((t) => t.textContent.trim())));
		assert.ok(statuses.size >= 2, `the list's first page mixes statuses (${[...statuses].join(', ')})`);
		await shoot('articles', width);

		assert.ok(withImage, 'the demo has a published article with an image');
		await page.goto(BASE + withImage);
		for (const label of ['Headline', 'Body']) {
			const box = await page.getByLabel(label, { exact: true }).boundingBox();
			assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${label} fits in ${width} px`);
		}
		await shoot('editor', width);
	});
}
