// Shared helpers of the browser tests: the server under test (MASTHEAD_URL,
// set by run.sh), a Chromium with a fresh profile, and discovery of the
// demo site's URLs from its own pages.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { HtmlValidate, StaticConfigLoader } from 'html-validate';
import { mkdtemp, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BASE = (process.env.MASTHEAD_URL || '').replace(/\/$/, '');
if (!BASE) {
	throw new Error('MASTHEAD_URL is not set: run the tests through tests/browser/run.sh');
}
export const ORIGIN = new URL(BASE).origin;

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A browser context with its own fresh profile folder; close() removes it.
export async function openContext(options = {}) {
	const dir = await mkdtemp(path.join(tmpdir(), 'masthead-chromium-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		args: ARGS,
		headless: true,
		viewport: { width: 1280, height: 900 },
		...options,
	});
	return {
		context,
		async close() {
			await context.close();
			await rm(dir, { recursive: true, force: true });
		},
	};
}

// Records every request of the context, and answers any request to another
// origin with an abort so that nothing leaves the machine.
export async function guardRequests(context) {
	const offsite = [];
	const all = [];
	await context.route('**/*', (route) => {
		const url = route.request().url();
		if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === ORIGIN) {
			return route.continue();
		}
		offsite.push(url);
		return route.abort('blockedbyclient');
	});
	context.on('request', (req) => all.push(req.url()));
	return {
		offsite,
		all,
		// requests made to any origin but the server's
		foreign() {
			return all.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== ORIGIN)
				.concat(offsite.filter((u) => !all.includes(u)));
		},
	};
}

export async function fetchText(pathOrUrl) {
	const res = await fetch(new URL(pathOrUrl, BASE));
	return { status: res.status, text: await res.text(), type: res.headers.get('content-type') || '' };
}

function hrefs(html, prefix) {
	const out = [];
	const re = /href="([^"]*)"/g;
	let m;
	while ((m = re.exec(html)) !== null) {
		const h = m[1].replace(/&amp;/g, '&');
		const p = h.startsWith('/') ? h : (h.startsWith(ORIGIN) ? h.slice(ORIGIN.length) : null);
		if (p !== null && p.startsWith(prefix) && !out.includes(p)) {
			out.push(p);
		}
	}
	return out;
}

// Paths of each page type, read from the site's own links.
let discovered = null;
export async function discover() {
	if (discovered) {
		return discovered;
	}
	const home = await fetchText('/');
	if (home.status !== 200) {
		throw new Error(`GET / answered ${home.status}`);
	}
	const sections = hrefs(home.text, '/section/');
	const articles = hrefs(home.text, '/articles/');
	if (!sections.length || !articles.length) {
		throw new Error('the home page links no section or no article');
	}
	// A front with a second page, if any.
	let front2 = null;
	for (const s of sections) {
		const f = await fetchText(s);
		const next = hrefs(f.text, s + '?before=');
		if (next.length) {
			front2 = next[0];
			break;
		}
	}
	const article = await fetchText(articles[0]);
	const authors = hrefs(article.text, '/author/');
	const tags = hrefs(article.text, '/tag/');
	let tag = tags[0] || null;
	if (!tag) {
		for (const a of articles.slice(1)) {
			const t = hrefs((await fetchText(a)).text, '/tag/');
			if (t.length) {
				tag = t[0];
				break;
			}
		}
	}
	discovered = { sections, articles, front: sections[0], front2, author: authors[0] || null, tag };
	return discovered;
}

// Finds an article whose body holds a video embed, looking first in a
// section named like "video", then among the latest articles.
export async function findVideoArticle() {
	const { sections, articles } = await discover();
	const candidates = [];
	for (const s of sections.filter((s) => /video/i.test(s))) {
		candidates.push(...hrefs((await fetchText(s)).text, '/articles/'));
	}
	candidates.push(...articles);
	for (const a of candidates.slice(0, 30)) {
		const { text } = await fetchText(a);
		if (/class="video-embed"/.test(text)) {
			return a;
		}
	}
	return null;
}

// An admin page is valid HTML by the rules the public pages meet (the
// admin's tests share this): fails the test with every problem listed.
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

export async function validHtml(name, html) {
	const report = await validator.validateString(html, name);
	const problems = report.results.flatMap((r) => r.messages).map((m) => `${name}:${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
	assert.equal(problems.length, 0, problems.join('\n'));
}

// The demo's owner (run.sh reads it from `masthead demo`'s output).
export const ADMIN_EMAIL = process.env.MASTHEAD_ADMIN_EMAIL;
export const ADMIN_PASSWORD = process.env.MASTHEAD_ADMIN_PASSWORD;

// Signs an account (by default the demo's owner) in through the login form
// in a new page of context; returns that page, left on /admin.
export async function adminLogin(context, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
	if (!email || !password) {
		throw new Error('MASTHEAD_ADMIN_EMAIL/PASSWORD are not set: run the tests through tests/browser/run.sh');
	}
	return signIn(await context.newPage(), BASE, email, password);
}

// Signs in through the login form of the site at base; leaves page on /admin.
export async function signIn(page, base, email, password) {
	await page.goto(`${base}/admin/login`);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${base}/admin`);
	return page;
}

// Writes a new article through the editor's form in page and presses the
// button named by action ('Save draft', 'Submit for review', ...); returns
// the editor's path (/admin/articles/ID) it lands on.
export async function writeArticle(page, { headline, body, section = null, action = 'Save draft' }) {
	await page.goto(`${BASE}/admin/articles/new`);
	await page.getByLabel('Headline').fill(headline);
	const select = page.getByLabel('Section');
	if (section) {
		await select.selectOption(section);
	} else {
		await select.selectOption({ index: 1 });
	}
	await page.getByLabel('Body').fill(body);
	await page.getByRole('button', { name: action, exact: true }).click();
	await page.waitForURL(/\/admin\/articles\/\d+\?saved=/);
	return new URL(page.url()).pathname;
}

// Runs `masthead ARGS... --site SITE` on the site under test (run.sh sets
// MASTHEAD_BIN and MASTHEAD_SITE), with input on standard input; resolves
// to its standard output, rejects with its standard error when it fails.
export function masthead(args, input = '') {
	const bin = process.env.MASTHEAD_BIN;
	const site = process.env.MASTHEAD_SITE;
	if (!bin || !site) {
		return Promise.reject(new Error('MASTHEAD_BIN/MASTHEAD_SITE are not set: run the tests through tests/browser/run.sh'));
	}
	return new Promise((resolve, reject) => {
		const child = execFile(bin, [...args, '--site', site], (err, stdout, stderr) => {
			if (err) {
				reject(new Error(`masthead ${args.join(' ')} failed: ${stderr || err.message}`));
			} else {
				resolve(stdout);
			}
		});
		child.stdin.end(input);
	});
}
