// The desk in Chromium, with accounts of their own made by the CLI on the
// site under test (run.sh gives its binary and folder): a contributor
// submits an article for review, an editor finds it on the dashboard and
// publishes it, and it is on the public site; an editor restores an older
// revision through the revisions screen, and the public page shows the
// restored text. The dashboard and the revisions screen (with its diff) are
// valid HTML by the rules of the other pages.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { HtmlValidate, StaticConfigLoader } from 'html-validate';
import { BASE, fetchText, openContext } from './lib.mjs';

const BIN = process.env.MASTHEAD_BIN;
const SITE = process.env.MASTHEAD_SITE;
const PASSWORD = 'gannet-lighthouse-quay-72';

const validator = new HtmlValidate(new StaticConfigLoader({
	extends: ['html-validate:recommended'],
	rules: {
		'attr-quotes': 'off',
		'attribute-boolean-style': 'off',
		'attribute-empty-style': 'off',
		'doctype-style': 'off',
		'void-style': 'off',
		'no-trailing-whitespace': 'off',
		'long-title': 'off',
		'attr-case': 'off',
		'element-case': 'off',
	},
}));

async function valid(name, html) {
	const report = await validator.validateString(html, name);
	const problems = report.results.flatMap((r) => r.messages).map((m) => `${name}:${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
	assert.equal(problems.length, 0, problems.join('\n'));
}

function masthead(...args) {
	return execFileSync(BIN, [...args, '--site', SITE], { input: PASSWORD + '\n', encoding: 'utf8' });
}

before(() => {
	assert.ok(BIN && SITE, 'run.sh gives MASTHEAD_BIN and MASTHEAD_SITE');
	masthead('author', 'add', 'cleo-desk', '--name', 'Cleo Desk');
	masthead('user', 'add', 'cleo@desk.example', '--name', 'Cleo', '--role', 'contributor', '--author', 'cleo-desk');
	masthead('user', 'add', 'eddy@desk.example', '--name', 'Eddy', '--role', 'editor');
});

async function logIn(context, email) {
	const page = await context.newPage();
	await page.goto(`${BASE}/admin/login`);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${BASE}/admin`);
	return page;
}

// The public page once it shows want (each node drops its cached copy when
// it reads the change log, within a second or so).
async function publicShows(path, want) {
	let last = null;
	for (let i = 0; i < 100; i++) {
		last = await fetchText(path);
		if (last.status === 200 && last.text.includes(want)) {
			return last;
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	assert.fail(`${path} never showed ${want}: ${last.status}`);
}

async function newArticle(page, headline, body) {
	await page.goto(`${BASE}/admin/articles/new`);
	await page.getByLabel('Headline').fill(headline);
	await page.getByLabel('Section').selectOption({ index: 1 });
	await page.getByLabel('Body').fill(body);
}

test('a contributor submits, an editor publishes', async () => {
	const writer = await openContext();
	const editor = await openContext();
	try {
		const cleo = await logIn(writer.context, 'cleo@desk.example');
		await newArticle(cleo, 'Gannets return to the cliffs', 'The colony counted **four hundred** pairs.');
		assert.equal(await cleo.getByRole('button', { name: 'Publish' }).count(), 0, 'a contributor has no Publish');
		await cleo.getByRole('button', { name: 'Submit for review' }).click();
		await cleo.waitForURL(/\/admin\/articles\/\d+\?saved=review$/);
		assert.match(await cleo.content(), /Saved and submitted for review/);
		await cleo.goto(`${BASE}/admin`);
		const mine = cleo.locator('section[aria-labelledby="desk-review"]');
		assert.ok(await mine.getByRole('link', { name: 'Gannets return to the cliffs' }).isVisible());

		const eddy = await logIn(editor.context, 'eddy@desk.example');
		await valid('/admin (editor)', await eddy.content());
		const review = eddy.locator('section[aria-labelledby="desk-review"]');
		await review.getByRole('link', { name: 'Gannets return to the cliffs' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+$/);
		await eddy.getByRole('button', { name: 'Publish' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+\?saved=publish$/);
		await eddy.goto(`${BASE}/admin/articles?status=published&q=gannets`);
		await valid('/admin/articles (filtered)', await eddy.content());
		assert.ok(await eddy.getByRole('link', { name: 'Gannets return to the cliffs' }).isVisible());
		await eddy.goto(`${BASE}/admin`);
		const published = eddy.locator('section[aria-labelledby="desk-published"]');
		assert.ok(await published.getByRole('link', { name: 'Gannets return to the cliffs' }).isVisible());
		assert.equal(await review.getByRole('link', { name: 'Gannets return to the cliffs' }).count(), 0,
			'no longer awaiting review');

		const pub = await publicShows('/articles/gannets-return-to-the-cliffs', 'Gannets return to the cliffs');
		assert.match(pub.text, /<strong>four hundred<\/strong> pairs/);
		assert.match(pub.text, /Cleo Desk/, 'with the contributor\'s byline');
	} finally {
		await writer.close();
		await editor.close();
	}
});

test('restore a revision', async () => {
	const { context, close } = await openContext();
	try {
		const eddy = await logIn(context, 'eddy@desk.example');
		await newArticle(eddy, 'Harbour wall repaired', 'The first text: the wall is mended with granite.');
		await eddy.getByRole('button', { name: 'Publish' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+\?saved=publish$/);
		await publicShows('/articles/harbour-wall-repaired', 'mended with granite');
		await eddy.getByLabel('Body').fill('The second text: the wall is patched with concrete.');
		await eddy.getByRole('button', { name: 'Save draft' }).click();
		await eddy.waitForURL(/\/admin\/articles\/\d+\?saved=save$/);
		await publicShows('/articles/harbour-wall-repaired', 'patched with concrete');

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

		const pub = await publicShows('/articles/harbour-wall-repaired', 'mended with granite');
		assert.doesNotMatch(pub.text, /patched with concrete/);
	} finally {
		await close();
	}
});
