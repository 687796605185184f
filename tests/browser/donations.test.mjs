// Donations in Chromium (issue 10), on a site of its own with the PayPal and
// Stripe stand-ins of tests/standins/ running on localhost: from the box to
// the provider's page (the pages' CSP form-action must let the redirect
// through), through approve or pay there, back to the thank-you page, and
// the ledger checked with `masthead donations`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BIN = process.env.MASTHEAD_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STANDINS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'standins');
const WHSEC = 'whsec_browser_standin';

function run(args) {
	const p = spawnSync(BIN, args, { encoding: 'utf8', timeout: 300000 });
	assert.equal(p.status, 0, `masthead ${args.join(' ')}: ${p.stderr}`);
	return p.stdout;
}

function freePort() {
	return new Promise((resolve) => {
		const s = createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// A stand-in: its process and origin once it printed "PORT n".
function standIn(name) {
	return new Promise((resolve, reject) => {
		const proc = spawn('python3', [path.join(STANDINS, `${name}.py`)], { stdio: ['ignore', 'pipe', 'inherit'] });
		let out = '';
		proc.stdout.on('data', (d) => {
			out += d;
			const m = /^PORT (\d+)/.exec(out);
			if (m) resolve({ proc, origin: `http://127.0.0.1:${m[1]}` });
		});
		proc.once('exit', (code) => reject(new Error(`stand-in ${name} exited ${code}`)));
	});
}

let dir, site, base, server, log, context, paypal, stripe;

function setIni(text, section, values) {
	const lines = Object.entries(values).map(([k, v]) => `${k} = ${v}`).join('\n');
	return `${text}\n[${section}]\n${lines}\n`;
}

before(async () => {
	assert.ok(BIN, 'run.sh sets MASTHEAD_BIN');
	dir = mkdtempSync(path.join(tmpdir(), 'masthead-donations-'));
	site = path.join(dir, 'site');
	run(['demo', '--articles', '6', site]);
	[paypal, stripe] = await Promise.all([standIn('paypal'), standIn('stripe')]);
	const port = await freePort();
	base = `http://127.0.0.1:${port}`;
	const ini = path.join(site, 'site.ini');
	let text = readFileSync(ini, 'utf8').replace(/^base_url *=.*$/m, `base_url = ${base}`);
	text = setIni(text, 'donations', { enabled: 'true' });
	text = setIni(text, 'paypal', {
		api_base: paypal.origin, approve_origin: paypal.origin, client_id: 'standin-client',
		client_secret: 'standin-secret', webhook_id: 'WH-BROWSER',
	});
	text = setIni(text, 'stripe', {
		api_base: stripe.origin, checkout_origin: stripe.origin, secret_key: 'sk_test_standin', webhook_secret: WHSEC,
	});
	const { writeFileSync } = await import('node:fs');
	writeFileSync(ini, text);
	// the Stripe stand-in sends checkout.session.completed here when the reader pays
	const cfg = await fetch(`${stripe.origin}/_standin/config`, {
		method: 'POST', body: JSON.stringify({ webhook_url: `${base}/donate/webhook/stripe`, webhook_secret: WHSEC }),
	});
	assert.equal(cfg.status, 200);
	log = path.join(dir, 'serve.log');
	server = spawn(BIN, ['serve', '--site', site, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
	server.stdout.on('data', (d) => appendFileSync(log, d));
	server.stderr.on('data', (d) => appendFileSync(log, d));
	const end = Date.now() + 20000;
	for (;;) {
		try {
			if ((await fetch(base + '/healthz')).status === 200) break;
		} catch { /* not yet */ }
		assert.ok(Date.now() < end, 'masthead serve answers within 20 s');
		await new Promise((r) => setTimeout(r, 100));
	}
	const profile = path.join(dir, 'chromium');
	context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
});

after(async () => {
	if (context) await context.close();
	if (server) {
		const exited = new Promise((r) => server.once('exit', (code) => r(code)));
		server.kill('SIGTERM');
		const code = await exited;
		assert.equal(code, 0, `masthead serve stops cleanly: ${readFileSync(log, 'utf8').slice(-2000)}`);
	}
	for (const s of [paypal, stripe]) {
		if (s) {
			s.proc.removeAllListeners('exit');
			s.proc.kill();
		}
	}
	rmSync(dir, { recursive: true, force: true });
});

// What the page's console and CSP said, for the failure message.
function watch(page) {
	const said = [];
	page.on('console', (m) => said.push(`${m.type()}: ${m.text()}`));
	return said;
}

test('PayPal: the sidebar box -> approve at PayPal -> back to the thank-you page; the ledger has it paid', async () => {
	const page = await context.newPage();
	const said = watch(page);
	await page.goto(base + '/');
	const box = page.locator('section.widget--donate');
	await box.getByLabel('Amount').fill('12.50');
	await box.getByLabel('Currency').selectOption('EUR');
	await box.getByLabel('One-time').check();
	await box.getByLabel('PayPal').check();
	await Promise.all([
		page.waitForURL((u) => u.href.startsWith(`${paypal.origin}/checkoutnow?token=`), { timeout: 20000 }),
		box.getByRole('button', { name: 'Donate', exact: true }).click(),
	]).catch((e) => { throw new Error(`${e.message}\nconsole: ${said.join('\n')}`); });
	await page.getByText('Pay 12.50 EUR').waitFor();
	await Promise.all([
		page.waitForURL((u) => u.href.startsWith(`${base}/donate/status/`), { timeout: 20000 }),
		page.getByRole('button', { name: 'Approve' }).click(),
	]);
	await page.getByRole('heading', { name: 'Thank you!' }).waitFor();
	assert.match(await page.locator('.donate-page__gift').innerText(), /€12\.50 through PayPal/);
	const month = new Date().toISOString().slice(0, 7);
	assert.match(run(['donations', '--csv', '--site', site]), new RegExp(`^${month},EUR,1,12\\.50$`, 'm'));
	await page.close();
});

test('Stripe monthly on /donate -> pay at Checkout -> the webhook -> the thank-you page; a recurring donor', async () => {
	const page = await context.newPage();
	const said = watch(page);
	await page.goto(base + '/donate');
	const form = page.locator('main form.donate').first();
	await form.getByLabel('Amount').fill('30');
	await form.getByLabel('Currency').selectOption('GBP');
	await form.getByLabel('Monthly').check();
	await form.getByLabel('Stripe').check();
	await form.getByLabel('Email for a receipt (optional)').fill('monthly@example.org');
	await Promise.all([
		page.waitForURL((u) => u.href.startsWith(`${stripe.origin}/c/pay/cs_test_`), { timeout: 20000 }),
		form.getByRole('button', { name: 'Donate', exact: true }).click(),
	]).catch((e) => { throw new Error(`${e.message}\nconsole: ${said.join('\n')}`); });
	await page.getByText('Pay 30.00 GBP every month').waitFor();
	await Promise.all([
		page.waitForURL((u) => u.href.startsWith(`${base}/donate/status/`), { timeout: 20000 }),
		page.getByRole('button', { name: 'Pay' }).click(),
	]);
	await page.getByRole('heading', { name: 'Thank you!' }).waitFor();
	assert.match(await page.locator('.donate-page__gift').innerText(), /£30 a month through Stripe/);
	assert.match(run(['donations', 'recurring', '--csv', '--site', site]), /^monthly@example\.org,30\.00,GBP,stripe,/m);
	await page.close();
});

test('Quick Donate and a bad amount: the fixed gift goes to PayPal; 0 comes back with the form\'s error', async () => {
	const page = await context.newPage();
	await page.goto(base + '/donate');
	const box = page.locator('main section.widget--donate');
	await box.getByLabel('Amount').fill('0');
	await box.getByRole('button', { name: 'Donate', exact: true }).click();
	await page.getByRole('alert').waitFor();
	assert.equal(await page.getByRole('alert').innerText(), 'The amount must be more than zero.');
	assert.equal(await page.getByRole('main').getByLabel('Amount').inputValue(), '0');
	await Promise.all([
		page.waitForURL((u) => u.href.startsWith(`${paypal.origin}/checkoutnow?token=`), { timeout: 20000 }),
		page.getByRole('main').getByRole('button', { name: /^Quick Donate/ }).click(),
	]);
	await page.getByText('Pay 10.00 EUR').waitFor();
	// cancelled at PayPal: back to the site, nothing charged
	await Promise.all([
		page.waitForURL((u) => u.href.startsWith(`${base}/donate/status/`), { timeout: 20000 }),
		page.getByRole('link', { name: 'Cancel and return' }).click(),
	]);
	await page.getByRole('heading', { name: 'Donation cancelled' }).waitFor();
	await page.close();
});
