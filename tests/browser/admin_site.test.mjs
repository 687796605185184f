// The owner's screens in Chromium: the Settings and Users links of the
// admin's bar, both pages valid HTML with a visible label on every field,
// saving the settings form unchanged, and an invitation from the Users
// screen accepted in another browser (password chosen, signed in). The
// site's texts are left as they are: the other tests share this site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HtmlValidate, StaticConfigLoader } from 'html-validate';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE, openContext } from './lib.mjs';

const SHOTS = process.env.MASTHEAD_SHOTS || mkdtempSync(path.join(tmpdir(), 'masthead-shots-'));
mkdirSync(SHOTS, { recursive: true });

const EMAIL = process.env.MASTHEAD_ADMIN_EMAIL;
const PASSWORD = process.env.MASTHEAD_ADMIN_PASSWORD;

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

async function logIn(page) {
	await page.goto(`${BASE}/admin/login`);
	await page.getByLabel('Email').fill(EMAIL);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${BASE}/admin`);
}

test('Settings and Users from the bar: valid, labelled; an invitation accepted in another browser', async () => {
	assert.ok(EMAIL && PASSWORD, 'run.sh found the demo owner in masthead demo\'s output');
	const { context, close } = await openContext();
	const other = await openContext();
	try {
		const page = await context.newPage();
		await logIn(page);
		await page.getByRole('banner').getByRole('link', { name: 'Settings' }).click();
		await page.waitForURL(`${BASE}/admin/settings`);
		await valid('/admin/settings', await page.content());
		for (const label of ['Title', 'Tagline', 'Time zone', 'Social links', 'Video channel']) {
			assert.ok(await page.getByLabel(label, { exact: true }).isVisible(), `a visible field labelled ${label}`);
		}
		const title = await page.getByLabel('Title', { exact: true }).inputValue();
		assert.ok(title.length > 0, 'the title in effect is filled in');
		await page.screenshot({ path: path.join(SHOTS, 'admin-settings.png'), fullPage: true });
		await page.getByRole('button', { name: 'Save settings' }).click();
		await page.waitForURL(`${BASE}/admin/settings?saved=1`);
		assert.match(await page.textContent('[role=status]'), /Saved/);
		assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), title, 'unchanged');

		await page.getByRole('banner').getByRole('link', { name: 'Users' }).click();
		await page.waitForURL(`${BASE}/admin/users`);
		await valid('/admin/users', await page.content());
		const email = `invitee-${Date.now()}@example.org`;
		await page.getByLabel('Email', { exact: true }).fill(email);
		await page.getByLabel('Name', { exact: true }).fill('Ina Vitee');
		await page.getByLabel('Role', { exact: true }).selectOption('contributor');
		await page.getByRole('button', { name: 'Invite' }).click();
		await page.waitForSelector('#invite-url');
		await valid('/admin/users (invited)', await page.content());
		await page.screenshot({ path: path.join(SHOTS, 'admin-users.png'), fullPage: true });
		const link = await page.getByLabel('Invitation link').inputValue();
		assert.match(link, /\/admin\/invite\?token=[A-Za-z0-9_-]{43}$/);
		assert.match(await page.textContent('.invite-link'), /does not send mail yet/);

		const p2 = await other.context.newPage();
		await p2.goto(`${BASE}${new URL(link).pathname}${new URL(link).search}`);
		await valid('/admin/invite', await p2.content());
		await p2.getByLabel('Password', { exact: true }).fill('short');
		await p2.getByLabel('Password again').fill('short');
		await p2.getByRole('button', { name: 'Set password and log in' }).click();
		await p2.waitForSelector('[role=alert]');
		assert.match(await p2.textContent('[role=alert]'), /too short/);
		await p2.getByLabel('Password', { exact: true }).fill('estuary-ferry-lantern-9');
		await p2.getByLabel('Password again').fill('estuary-ferry-lantern-9');
		await p2.getByRole('button', { name: 'Set password and log in' }).click();
		await p2.waitForURL(`${BASE}/admin`);
		assert.match(await p2.content(), /Ina Vitee/);
	} finally {
		await other.close();
		await close();
	}
});
