// (d) Video embeds load nothing from the video host until the reader presses
// play; then the privacy-enhanced player replaces the placeholder. The
// player's request is aborted by the route guard: nothing leaves the machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, guardRequests, findVideoArticle } from './lib.mjs';

let ctx, guard, videoPath;

before(async () => {
	ctx = await openContext();
	guard = await guardRequests(ctx.context);
	videoPath = await findVideoArticle();
});
after(async () => {
	await ctx?.close();
});

const videoHost = (u) => /(^|\.)(youtube\.com|youtube-nocookie\.com|youtu\.be|ytimg\.com|googlevideo\.com)$/
	.test(new URL(u).hostname);

test('the demo site has an article with a video embed', () => {
	assert.ok(videoPath, 'no article with <figure class="video-embed"> among the Video section and the latest');
});

test('nothing is requested from the video host before play; the player appears after', async () => {
	assert.ok(videoPath, 'no article with a video embed to test');
	const page = await ctx.context.newPage();
	await page.goto(BASE + videoPath, { waitUntil: 'networkidle' });
	const fig = page.locator('.article .video-embed').first();
	await fig.scrollIntoViewIfNeeded();
	await page.waitForTimeout(300);
	assert.deepEqual(guard.all.filter(videoHost), [], 'no video-host request before the click');
	const id = await fig.getAttribute('data-video-id');
	assert.match(id, /^[A-Za-z0-9_-]{11}$/);
	const link = fig.locator('.video-embed__link');
	assert.equal(await link.getAttribute('href'), `https://www.youtube.com/watch?v=${id}`);
	assert.equal(await fig.locator('iframe').count(), 0);

	const play = fig.locator('.video-embed__play');
	assert.ok(await play.isVisible(), 'the play button shows once the script runs');
	await play.click();
	const frame = page.locator(`.video-embed[data-video-id="${id}"] iframe`);
	await frame.waitFor({ state: 'attached', timeout: 20000 });
	const src = await frame.getAttribute('src');
	assert.equal(src, `https://www.youtube-nocookie.com/embed/${id}?autoplay=1`);
	assert.ok(await frame.getAttribute('title'), 'the player has a title');
	assert.ok(await frame.evaluate((f) => f.allowFullscreen), 'the player may go full screen');
	await page.waitForTimeout(300);
	const asked = guard.all.filter(videoHost);
	assert.ok(asked.every((u) => new URL(u).hostname === 'www.youtube-nocookie.com'),
		`only the privacy-enhanced host is asked: ${asked.join(' ')}`);
	await page.close();
});
