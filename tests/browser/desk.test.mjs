// The desk in Chromium, each test on a fresh site (site.mjs) with accounts
// of its own made by the CLI: a contributor
// submits an article for review, an editor finds it on the dashboard and
// publishes it, and it is on the public site; an editor restores an older
// revision through the revisions screen, and the public page shows the
// restored text. The dashboard and the revisions screen (with its diff) are
// valid HTML by the rules of the other pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validHtml as valid } from './lib.mjs';
import { freshSite } from './site.mjs';

const PASSWORD = 'gannet-lighthouse-quay-72';

// A fresh site with the desk's accounts: a contributor with a byline of her
// own, and an editor.
async function deskSite() {
	const s = await freshSite();
	s.masthead(['author', 'add', 'cleo-desk', '--name', 'Cleo Desk']);
	s.masthead(['user', 'add', 'cleo@desk.example', '--name', 'Cleo', '--role', 'contributor', '--author', 'cleo-desk'], PASSWORD + '\n');
	s.masthead(['user', 'add', 'eddy@desk.example', '--name', 'Eddy', '--role', 'editor'], PASSWORD + '\n');
	return s;
}

async function logIn(s, context, email) {
	return s.logIn(await context.newPage(), email, PASSWORD);
}

// The public page once it shows want (each node drops its cached copy when
// it reads the change log, within a second or so).
async function publicShows(s, path, want) {
	let last = null;
	for (let i = 0; i < 100; i++) {
		const res = await fetch(s.base + path);
		last = { status: res.status, text: await res.text() };
		if (last.status === 200 && last.text.includes(want)) {
			return last;
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	assert.fail(`${path} never showed ${want}: ${last.status}`);
}

async function newArticle(s, page, headline, body) {
	await page.goto(`${s.base}/admin/articles/new`);
	await page.getByLabel('Headline').fill(headline);
	await page.getByLabel('Section').selectOption({ index: 1 });
	await page.getByLabel('Body').fill(body);
}

test('a contributor submits, an editor publishes', async () => {
	const s = await deskSite();
	try {
		const cleo = await logIn(s, s.context, 'cleo@desk.example');
		await newArticle(s, cleo, 'Gannets return to the cliffs', 'The colony counted **four hundred** pairs.');
		assert.equal(await cleo.getByRole('button', { name: 'Publish' }).count(), 0, 'a contributor has no Publish');
		await cleo.getByRole('button', { name: 'Submit for review' }).click();
		await cleo.waitForURL(/\/admin\/articles\/\d+\?saved=review$/);
		assert.match(await cleo.content(), /Saved and submitted for review/);
		await cleo.goto(`${s.base}/admin`);
		const mine = cleo.locator('section[aria-labelledby="desk-review"]');
		assert.ok(await mine.getByRole('link', { name: 'Gannets return to the cliffs' }).isVisible());

		const eddy = await logIn(s, await s.newContext(), 'eddy@desk.example');
		await valid('/admin (editor)', await eddy.content());
		const review = eddy.locator('section[aria-labelledby="desk-review"]');
		await review.getByRole('link', { name: 'Gannets return to the cliffs' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+$/);
		await eddy.getByRole('button', { name: 'Publish' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+\?saved=publish$/);
		await eddy.goto(`${s.base}/admin/articles?status=published&q=gannets`);
		await valid('/admin/articles (filtered)', await eddy.content());
		assert.ok(await eddy.getByRole('link', { name: 'Gannets return to the cliffs' }).isVisible());
		await eddy.goto(`${s.base}/admin`);
		const published = eddy.locator('section[aria-labelledby="desk-published"]');
		assert.ok(await published.getByRole('link', { name: 'Gannets return to the cliffs' }).isVisible());
		assert.equal(await review.getByRole('link', { name: 'Gannets return to the cliffs' }).count(), 0,
			'no longer awaiting review');

		const pub = await publicShows(s, '/articles/gannets-return-to-the-cliffs', 'Gannets return to the cliffs');
		assert.match(pub.text, /<strong>four hundred<\/strong> pairs/);
		assert.match(pub.text, /Cleo Desk/, 'with the contributor\'s byline');
	} finally {
		await s.close();
	}
});

test('restore a revision', async () => {
	const s = await deskSite();
	try {
		const eddy = await logIn(s, s.context, 'eddy@desk.example');
		await newArticle(s, eddy, 'Harbour wall repaired', 'The first text: the wall is mended with granite.');
		await eddy.getByRole('button', { name: 'Publish' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+\?saved=publish$/);
		await publicShows(s, '/articles/harbour-wall-repaired', 'mended with granite');
		await eddy.getByLabel('Body').fill('The second text: the wall is patched with concrete.');
		// a live article's changes go out with Publish (the address already
		// ends ?saved=publish: wait for the form's answer, then its page)
		await Promise.all([
			eddy.waitForResponse((r) => r.request().method() === 'POST'),
			eddy.getByRole('button', { name: 'Publish', exact: true }).click(),
		]);
		await eddy.waitForLoadState('load');
		assert.equal(await eddy.getByRole('button', { name: 'Save draft' }).count(), 0, 'no Save draft on a live article');
		await publicShows(s, '/articles/harbour-wall-repaired', 'patched with concrete');

		await eddy.getByRole('link', { name: 'Revisions' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+\/revisions$/);
		const html = await eddy.content();
		await valid('/admin/articles/ID/revisions', html);
		// the last save against the one before: removed and added lines marked in text, not colour only
		assert.ok(await eddy.locator('del', { hasText: 'removed: The first text' }).isVisible());
		assert.ok(await eddy.locator('ins', { hasText: 'added: The second text' }).isVisible());
		// the oldest revision is the last row; its Restore button
		await eddy.getByRole('button', { name: /^Restore revision/ }).last().click();
		await eddy.waitForURL(/\/revisions\?restored=\d+$/);
		assert.match(await eddy.getByRole('status').textContent(), /Restored, as the new revision \d+/);
		assert.ok(await eddy.getByRole('cell', { name: /restore of revision \d+/ }).first().isVisible());

		const pub = await publicShows(s, '/articles/harbour-wall-repaired', 'mended with granite');
		assert.doesNotMatch(pub.text, /patched with concrete/);
	} finally {
		await s.close();
	}
});
