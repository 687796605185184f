// A fresh site for one browser test: `masthead init` with an owner, served
// by its own `masthead serve` on a free loopback port, and Chromium contexts
// with fresh profiles. The newsroom's browser tests (editor, desk, conflict)
// each run on one of these, so no test sees another's articles, accounts or
// login attempts. The binary is the one run.sh names in MASTHEAD_BIN.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.MASTHEAD_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const OWNER_EMAIL = 'owner@fresh.example';
export const OWNER_PASSWORD = 'tidal-harbour-lantern-41';

function freePort() {
	return new Promise((resolve) => {
		const s = createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// A new site. Options: zone (its [site] timezone), ownerName. The returned
// object has base (the server's URL), dir (a scratch folder removed at
// close), masthead(args, input) (the CLI on this site, resolving to its
// standard output), newContext() (a Chromium context, closed with the site),
// context (the first of those), logIn(page, email, password), log() (the
// server's output) and close(), which also checks the server stopped cleanly.
export async function freshSite({ zone = null, ownerName = 'Fresh Owner' } = {}) {
	assert.ok(BIN, 'run.sh sets MASTHEAD_BIN');
	const dir = mkdtempSync(path.join(tmpdir(), 'masthead-fresh-'));
	const site = path.join(dir, 'site');
	const masthead = (args, input = '') => {
		const p = spawnSync(BIN, [...args, '--site', site], { input, encoding: 'utf8', timeout: 120000 });
		assert.equal(p.status, 0, `masthead ${args.join(' ')}: ${p.stderr}`);
		return p.stdout;
	};
	const init = spawnSync(BIN, ['init', '--owner', OWNER_EMAIL, '--name', ownerName, site],
		{ input: OWNER_PASSWORD + '\n', encoding: 'utf8', timeout: 120000 });
	assert.equal(init.status, 0, `masthead init: ${init.stderr}`);
	if (zone) {
		const ini = path.join(site, 'site.ini');
		const text = readFileSync(ini, 'utf8');
		assert.match(text, /^timezone *=.*$/m, 'site.ini has a timezone line');
		writeFileSync(ini, text.replace(/^timezone *=.*$/m, `timezone = ${zone}`));
	}

	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const log = path.join(dir, 'serve.log');
	writeFileSync(log, '');
	const server = spawn(BIN, ['serve', '--site', site, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
	server.stdout.on('data', (d) => appendFileSync(log, d));
	server.stderr.on('data', (d) => appendFileSync(log, d));
	const exited = new Promise((r) => server.once('exit', (code, signal) => r(signal ?? code)));
	const end = Date.now() + 20000;
	for (;;) {
		try {
			if ((await fetch(base + '/healthz')).status === 200) break;
		} catch { /* not yet */ }
		assert.ok(Date.now() < end, `masthead serve answers within 20 s:\n${readFileSync(log, 'utf8')}`);
		await new Promise((r) => setTimeout(r, 100));
	}

	const contexts = [];
	const newContext = async (options = {}) => {
		const profile = mkdtempSync(path.join(dir, 'chromium-'));
		const context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 900 }, ...options,
		});
		contexts.push(context);
		return context;
	};
	const context = await newContext();

	return {
		base, dir, site, masthead, newContext, context,
		log: () => readFileSync(log, 'utf8'),
		// Signs in through the login form; leaves page on /admin.
		async logIn(page, email = OWNER_EMAIL, password = OWNER_PASSWORD) {
			await page.goto(`${base}/admin/login`);
			await page.getByLabel('Email').fill(email);
			await page.getByLabel('Password').fill(password);
			await page.getByRole('button', { name: 'Log in' }).click();
			await page.waitForURL(`${base}/admin`);
			return page;
		},
		async close() {
			for (const c of contexts) {
				await c.close().catch(() => {});
			}
			server.kill('SIGTERM');
			const code = await exited;
			const text = readFileSync(log, 'utf8');
			rmSync(dir, { recursive: true, force: true });
			assert.equal(code, 0, `masthead serve stops cleanly on SIGTERM:\n${text.slice(-2000)}`);
		},
	};
}
