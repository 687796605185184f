// Two people edit the same article in two browsers: the owner saves first,
// an editor's later save is refused with the conflict message and the two
// texts side by side; both texts are kept (the revisions, read through
// `masthead article revisions|diff|show`), the editor's typing is still in
// the form, and the editor's merged save then goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freshSite } from './site.mjs';

const SHOTS = process.env.MASTHEAD_SHOTS;
const EDITOR_EMAIL = 'second.editor@conflict.example';
const EDITOR_PASSWORD = 'tide-lantern-copper-41';

// Writes a new draft through the editor's form; returns the editor's path.
async function writeArticle(s, page, headline, body) {
	await page.goto(`${s.base}/admin/articles/new`);
	await page.getByLabel('Headline').fill(headline);
	await page.getByLabel('Section').selectOption({ index: 1 });
	await page.getByLabel('Body').fill(body);
	await page.getByRole('button', { name: 'Save draft', exact: true }).click();
	await page.waitForURL(/\/admin\/articles\/\d+\?saved=/);
	return new URL(page.url()).pathname;
}

test('the second save is refused with the conflict and both texts, and nothing is lost', async () => {
	const s = await freshSite();
	try {
		s.masthead(['user', 'add', EDITOR_EMAIL, '--name', 'Second Editor', '--role', 'editor'], `${EDITOR_PASSWORD}\n`);
		const a = await s.logIn(await s.context.newPage());
		const b = await s.logIn(await (await s.newContext()).newPage(), EDITOR_EMAIL, EDITOR_PASSWORD);
		const path_ = await writeArticle(s, a, 'Ferry fares rise at the Old Harbour', 'The first draft.');
		const slug = await a.getByLabel('Slug').inputValue();
		assert.ok(slug, 'the saved draft has a slug');

		// both open the same revision
		await a.goto(s.base + path_);
		await b.goto(s.base + path_);
		const ownerBody = 'Fares rise by five per cent from March, the port authority said.';
		const editorHeadline = 'Ferry fares to rise seven per cent';
		const editorBody = 'Fares rise by seven per cent, according to the draft budget seen by the Dispatch.';

		await a.getByLabel('Body').fill(ownerBody);
		await a.getByRole('button', { name: 'Save draft', exact: true }).click();
		await a.waitForURL(/\?saved=draft/);

		await b.getByLabel('Headline').fill(editorHeadline);
		await b.getByLabel('Body').fill(editorBody);
		const [res] = await Promise.all([
			b.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path_),
			b.getByRole('button', { name: 'Save draft', exact: true }).click(),
		]);
		assert.equal(res.status(), 409, 'the stale save is refused');
		await b.waitForLoadState('load');

		// the clear message, and the comparison side by side
		const alert = b.getByRole('alert');
		assert.match(await alert.textContent(), /Someone else saved this article after you opened it, so your save was refused\. Both texts are kept/);
		const theirs = b.locator('.conflict section').filter({ has: b.getByRole('heading', { name: /^Theirs/ }) });
		const yours = b.locator('.conflict section').filter({ has: b.getByRole('heading', { name: /^Yours/ }) });
		assert.equal(await theirs.count(), 1, 'a "Theirs" column');
		assert.equal(await yours.count(), 1, 'a "Yours" column');
		assert.match(await theirs.textContent(), new RegExp(ownerBody.replace(/\./g, '\\.')));
		assert.match(await theirs.textContent(), /Ferry fares rise at the Old Harbour/);
		assert.match(await yours.textContent(), new RegExp(editorBody.replace(/\./g, '\\.')));
		assert.match(await yours.textContent(), new RegExp(editorHeadline));
		const tb = await theirs.boundingBox();
		const yb = await yours.boundingBox();
		assert.ok(tb && yb && tb.width > 0 && yb.width > 0, 'both columns are shown');
		assert.equal(Math.round(tb.y), Math.round(yb.y), 'the columns start on the same line');
		assert.ok(tb.x + tb.width <= yb.x, 'theirs stands left of yours, not over it');
		if (SHOTS) {
			await b.screenshot({ path: path.join(SHOTS, 'admin-conflict-1280.png'), fullPage: true });
		}
		// the editor's typing is still in the form
		assert.equal(await b.getByLabel('Headline').inputValue(), editorHeadline);
		assert.equal(await b.getByLabel('Body').inputValue(), editorBody);

		// both texts are kept: the owner's as the article, the editor's as a conflict revision
		const revs = s.masthead(['article', 'revisions', slug]);
		const lines = revs.split('\n');
		const conflictLine = lines.find((l) => l.includes(editorHeadline));
		assert.ok(conflictLine, `the editor's text is a revision:\n${revs}`);
		assert.match(conflictLine, /Second Editor/);
		assert.match(conflictLine, /\[conflict: refused, kept\]/);
		const ownerLines = lines.filter((l) => l.includes('Ferry fares rise at the Old Harbour') && !l.includes('[conflict'));
		assert.equal(ownerLines.length, 2, `the first draft and the owner's save are revisions:\n${revs}`);
		const shown = s.masthead(['article', 'show', slug]);
		assert.ok(shown.includes(ownerBody), `the article holds the owner's text:\n${shown}`);
		const conflictId = conflictLine.trim().split(/\s+/)[0];
		const ownerId = ownerLines[0].trim().split(/\s+/)[0];
		const diff = s.masthead(['article', 'diff', slug, ownerId, conflictId]);
		assert.ok(diff.includes(editorBody) && diff.includes(ownerBody), `the diff holds both bodies:\n${diff}`);

		// the editor merges and saves again: this time it goes through
		const merged = `${ownerBody} ${editorBody}`;
		await b.getByLabel('Body').fill(merged);
		await b.getByRole('button', { name: 'Save draft', exact: true }).click();
		await b.waitForURL(/\?saved=draft/);
		assert.equal(await b.getByLabel('Body').inputValue(), merged);
		assert.ok((s.masthead(['article', 'show', slug])).includes(merged), 'the merged text is the article now');
	} finally {
		await s.close();
	}
});
