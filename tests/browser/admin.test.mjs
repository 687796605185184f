// The admin's door in Chromium: log in by the labelled fields with the
// demo's owner (run.sh reads it from `masthead demo`'s output), land on
// /admin, log out by its button; the login page and /admin are valid HTML
// by the same rules as the public pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE, openContext, validHtml as valid } from './lib.mjs';

// screenshots for a person to look at, beside the public pages' ones
const SHOTS = process.env.MASTHEAD_SHOTS || mkdtempSync(path.join(tmpdir(), 'masthead-shots-'));
mkdirSync(SHOTS, { recursive: true });

const EMAIL = process.env.MASTHEAD_ADMIN_EMAIL;
const PASSWORD = process.env.MASTHEAD_ADMIN_PASSWORD;

test('log in with the labelled fields, see /admin, log out', async () => {
	assert.ok(EMAIL && PASSWORD, 'run.sh found the demo owner in masthead demo\'s output');
	const { context, close } = await openContext();
	try {
		const page = await context.newPage();
		const login = await page.goto(`${BASE}/admin`);
		assert.equal(new URL(page.url()).pathname, '/admin/login', 'redirected to the login page');
		assert.equal(login.status(), 200);
		await valid('/admin/login', await page.content());
		await page.screenshot({ path: path.join(SHOTS, 'admin-login.png'), fullPage: true });
		await page.getByLabel('Email').fill(EMAIL);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(`${BASE}/admin`);
		const html = await page.content();
		assert.match(html, /Signed in as/);
		await valid('/admin', html);
		assert.ok(await page.getByRole('banner').getByRole('link', { name: 'New article' }).isVisible());
		await page.screenshot({ path: path.join(SHOTS, 'admin-home.png'), fullPage: true });
		await page.getByRole('button', { name: 'Log out', exact: true }).click();
		await page.waitForURL(`${BASE}/admin/login`);
		await page.goto(`${BASE}/admin`);
		assert.equal(new URL(page.url()).pathname, '/admin/login', 'logged out: back to the login page');
	} finally {
		await close();
	}
});

test('a wrong password shows the error on the form, keeping the email', async () => {
	const { context, close } = await openContext();
	try {
		const page = await context.newPage();
		await page.goto(`${BASE}/admin/login`);
		await page.getByLabel('Email').fill(EMAIL);
		await page.getByLabel('Password').fill('not-the-password-at-all');
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForSelector('[role=alert]');
		assert.match(await page.textContent('[role=alert]'), /Email or password is wrong/);
		assert.equal(await page.getByLabel('Email').inputValue(), EMAIL);
		await valid('/admin/login (error)', await page.content());
	} finally {
		await close();
	}
});
