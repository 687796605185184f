// (issue 8) Comments in Chromium: a reader posts a comment and a reply with
// the page's own script (in place, no reload), an editor moderates them in
// /admin/comments, and the reader then sees them on the article, the reply
// under its comment. run.sh sets [comments] min_seconds = 1 and a rate
// limit every browser test from 127.0.0.1 fits in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openContext, discover, adminLogin } from './lib.mjs';

let reader, editor, admin;

before(async () => {
	reader = await openContext();
	editor = await openContext();
	admin = await adminLogin(editor.context);
	// every comment waits for a moderator here, whoever sends it
	await admin.goto(`${BASE}/admin/comments`);
	await admin.getByLabel('New comments').selectOption('hold_all');
	await admin.getByRole('button', { name: 'Save mode' }).click();
	await admin.waitForURL(/done=moderation/);
});
after(async () => {
	await reader?.close();
	await editor?.close();
});

async function approve(text) {
	await admin.goto(`${BASE}/admin/comments?status=pending`);
	const item = admin.locator('.comment-queue__item', { hasText: text });
	await item.getByRole('button', { name: 'Approve' }).click();
	await admin.waitForURL(/done=approve/);
}

// Reloads until the change log has dropped the server's cached page
// (seconds). Each load has a query the server ignores (the page's cache key
// is its path) so that Chromium's own HTTP cache, which may keep the page for
// [cache] max_age, does not answer instead of the server.
async function waitOnPage(page, path, locator, text) {
	const end = Date.now() + 20000;
	for (let i = 0; ; i++) {
		await page.goto(`${BASE}${path}?reload=${i}`, { waitUntil: 'load' });
		if ((await page.locator(locator, { hasText: text }).count()) > 0) {
			return;
		}
		assert.ok(Date.now() < end, `"${text}" did not appear in ${locator} on ${path}`);
		await page.waitForTimeout(300);
	}
}

test('a comment and a reply, posted in place, moderated, then shown threaded', async () => {
	const { articles } = await discover();
	const path = articles[Math.min(2, articles.length - 1)];
	const page = await reader.context.newPage();
	const errors = [];
	page.on('console', (m) => {
		if (m.type() === 'error') {
			errors.push(m.text());
		}
	});
	await page.goto(BASE + path, { waitUntil: 'load' });
	const form = page.locator('#comment-form');
	await form.getByLabel('Name').fill('Chromium Reader');
	await form.getByLabel('Email').fill('reader@example.org');
	await form.getByLabel('Comment').fill('Hello from *Chromium*');
	await page.waitForTimeout(1500); // the form's minimum time
	await form.getByRole('button', { name: 'Post comment' }).click();
	await assert.doesNotReject(form.locator('[data-comment-status]', { hasText: 'awaiting moderation' }).waitFor());
	assert.equal(new URL(page.url()).pathname, path, 'posted in place, no navigation');
	assert.equal(await page.locator('.comment__text', { hasText: 'Hello from' }).count(), 0, 'held: not shown');

	await approve('Hello from');
	await waitOnPage(page, path, '.comment__text em', 'Chromium');
	assert.match(await page.locator('.comments__count').textContent(), /[0-9,]+ Comments?/);

	// the reply, from the comment's own Reply form
	const top = page.locator('.comments__list > li', { hasText: 'Hello from' });
	await top.locator('summary', { hasText: 'Reply' }).click();
	const reply = top.locator('form[data-comment-form]');
	await reply.getByLabel('Name').fill('Second Reader');
	await reply.getByLabel('Comment').fill('A reply in the thread');
	await page.waitForTimeout(1500);
	await reply.getByRole('button', { name: 'Post comment' }).click();
	await reply.locator('[data-comment-status]', { hasText: 'awaiting moderation' }).waitFor();
	await approve('A reply in the thread');
	await waitOnPage(page, path, '.comment__replies .comment__text', 'A reply in the thread');
	const thread = page.locator('.comments__list > li', { hasText: 'Hello from' });
	assert.equal(await thread.locator('.comment__replies .comment__text', { hasText: 'A reply' }).count(), 1,
		'the reply sits under its comment');
	assert.deepEqual(errors, [], 'no console errors (a CSP violation would show here)');
	await page.close();
});
