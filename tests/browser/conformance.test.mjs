// Every public page type and every admin page the owner reaches pass the W3C
// Nu HTML checker (vnu-jar on Debian's Java) and axe-core's WCAG 2.1 A/AA
// rules in Chromium. The admin's pages are found by following its own links
// from /admin, so a screen added later is checked without touching this
// file. Each page is loaded once: axe runs on it in the browser, and the HTML
// the server sent is kept for one run of the Nu checker over all of them
// (it is slow to start). Nu errors and axe violations fail the page's test;
// Nu warnings are printed as diagnostics. Axe runs in the light and the dark
// colour scheme.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE, openContext, discover, findVideoArticle, adminLogin, writeArticle, masthead, ADMIN_EMAIL, fetchText } from './lib.mjs';

const require = createRequire(import.meta.url);
const VNU_JAR = path.join(path.dirname(require.resolve('vnu-jar/package.json')), 'build/dist/vnu.jar');
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// An article with a lead image (og:image) and one without, from the
// articles the home page and the section fronts link (issue 9: both shapes
// of the metadata and of the page).
async function articlesByImage(urls) {
	const seen = new Set();
	const found = { with: null, without: null };
	const lists = ['/', ...urls.sections];
	for (const l of lists) {
		const { text } = await fetchText(l);
		for (const m of text.matchAll(/href="(\/articles\/[^"#?]+)"/g)) {
			if (seen.has(m[1]) || seen.size > 120) {
				continue;
			}
			seen.add(m[1]);
			const page = await fetchText(m[1]);
			const key = /<meta property="og:image" content="/.test(page.text) ? 'with' : 'without';
			found[key] = found[key] || m[1];
			if (found.with && found.without) {
				return found;
			}
		}
	}
	return found;
}

// Admin paths never followed: they sign out or belong to the signed-out door.
const NOT_FOLLOWED = /^\/admin\/(logout|login|reset)/;
const MAX_ADMIN_PAGES = 40;

// name -> { path, html, axe: [violations] }, in the order pages were seen
const pages = new Map();
let publicCtx, adminCtx, vnu;

// Axe's WCAG 2.1 A/AA violations on the page as it is now, each as
// "rule (help): selector: html" lines.
async function axeViolations(page) {
	if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
		await page.evaluate(AXE_SOURCE);
	}
	const result = await page.evaluate((tags) => window.axe.run(document, {
		runOnly: { type: 'tag', values: tags },
		resultTypes: ['violations'],
	}), AXE_TAGS);
	return result.violations.flatMap((v) => v.nodes.map((n) =>
		`${v.id} (${v.help}): ${n.target.join(' ')}: ${n.html.slice(0, 200)}`));
}

// The violations in the light and then the dark colour scheme (both
// themes follow prefers-color-scheme), the dark ones marked so.
async function axeBothSchemes(page) {
	const light = await axeViolations(page);
	await page.emulateMedia({ colorScheme: 'dark' });
	const dark = (await axeViolations(page)).map((v) => `dark scheme: ${v}`);
	await page.emulateMedia({ colorScheme: 'light' });
	return light.concat(dark);
}

// Loads path in page (a GET), keeps what the server sent and what axe found.
async function check(page, name, pathname, status = 200) {
	const res = await page.goto(BASE + pathname, { waitUntil: 'load' });
	assert.ok(res, `${pathname}: no response`);
	assert.equal(res.status(), status, `${name} (${pathname}) answered ${res.status()}`);
	assert.match(res.headers()['content-type'] || '', /^text\/html/, `${pathname} is HTML`);
	pages.set(name, { path: pathname, html: await res.text(), axe: await axeBothSchemes(page) });
}

// The path of a link, or null when it leaves the site.
function localPath(href) {
	const u = new URL(href, BASE);
	return u.origin === new URL(BASE).origin ? u.pathname + u.search : null;
}

// One page per shape of address: /admin/articles/12 stands for every
// article's editor, /admin/articles?status=draft for the list.
const shape = (p) => p.split('?')[0].replace(/\d+/g, 'N');

async function crawlAdmin(page) {
	const seen = new Set();
	const queue = ['/admin'];
	while (queue.length && seen.size < MAX_ADMIN_PAGES) {
		const p = queue.shift();
		if (seen.has(shape(p))) {
			continue;
		}
		seen.add(shape(p));
		await check(page, `admin ${shape(p)}`, p);
		const links = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')));
		for (const l of links) {
			const lp = localPath(l);
			if (lp && (lp === '/admin' || lp.startsWith('/admin/')) && !NOT_FOLLOWED.test(lp) && !seen.has(shape(lp))) {
				queue.push(lp);
			}
		}
	}
	return seen;
}

// Runs the Nu checker once over every kept page; returns its messages by
// page name.
async function runVnu() {
	const dir = await mkdtemp(path.join(tmpdir(), 'masthead-vnu-'));
	try {
		const files = new Map();
		let i = 0;
		for (const [name, p] of pages) {
			const file = path.join(dir, `page-${String(i++).padStart(3, '0')}.html`);
			await writeFile(file, p.html);
			files.set(`file:${file}`, name);
		}
		const out = await new Promise((resolve, reject) => {
			execFile('java', ['-jar', VNU_JAR, '--format', 'json', '--stdout', '--exit-zero-always', ...[...files.keys()].map((f) => f.slice(5))],
				{ maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
					if (err) {
						reject(new Error(`the Nu checker did not run (is Java installed? scripts/deps installs default-jre-headless): ${err.message}\n${stderr}`));
					} else {
						resolve(stdout);
					}
				});
		});
		const byName = new Map([...pages.keys()].map((n) => [n, []]));
		for (const m of JSON.parse(out).messages) {
			const name = files.get(m.url);
			if (!name) {
				throw new Error(`the Nu checker reported on an unknown document: ${JSON.stringify(m)}`);
			}
			byName.get(name).push(m);
		}
		return byName;
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}


// (issue 8) An article with an approved comment and a reply under it, posted
// as the page's script posts them and approved in /admin/comments by admin
// (a signed-in page): the thread's markup is checked too. Returns its path.
async function commentedArticle(admin, pathname) {
	const html = await (await fetch(BASE + pathname)).text();
	const id = /action="\/comments\/(\d+)"/.exec(html)?.[1];
	assert.ok(id, `${pathname} has a comment form`);
	const { token } = await (await fetch(`${BASE}/comments/${id}`)).json();
	await new Promise((r) => setTimeout(r, 1500)); // run.sh: min_seconds = 1
	const send = async (fields) => {
		const res = await fetch(`${BASE}/comments/${id}`, {
			method: 'POST',
			headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ token, ...fields }),
		});
		assert.equal(res.status, 201, `a comment posted: ${await res.text()}`);
	};
	const approveAll = async () => {
		await admin.goto(`${BASE}/admin/comments?status=pending&article=${id}`);
		while ((await admin.getByRole('button', { name: 'Approve', exact: true }).count()) > 0) {
			await admin.getByRole('button', { name: 'Approve', exact: true }).first().click();
			await admin.waitForURL(/done=approve/);
		}
	};
	await send({ name: 'Conformance Reader', comment: 'A *comment* with [a link](https://example.org/).' });
	await approveAll();
	await admin.goto(`${BASE}/admin/comments?status=approved&article=${id}`);
	const top = (await admin.locator('.comment-queue__item').last().getAttribute('id')).slice(1);
	await send({ name: 'Second Reader', comment: '> A *comment*\n\nA reply.', parent: top });
	await approveAll();
	const end = Date.now() + 20000;
	while (!(await (await fetch(BASE + pathname)).text()).includes('A reply.')) {
		assert.ok(Date.now() < end, 'the approved reply shows on the article');
		await new Promise((r) => setTimeout(r, 300));
	}
	return pathname;
}

let adminShapes;
before(async () => {
	// axe is injected as a script: both contexts bypass the pages' CSP for it
	publicCtx = await openContext({ bypassCSP: true });
	adminCtx = await openContext({ bypassCSP: true });
	const urls = await discover();
	const pub = await publicCtx.context.newPage();
	await check(pub, 'home', '/');
	await check(pub, 'section front', urls.front);
	if (urls.front2) {
		await check(pub, 'section front, page 2', urls.front2);
	}
	await check(pub, 'author', urls.author);
	await check(pub, 'tag', urls.tag);
	await check(pub, 'article', urls.articles[0]);
	await check(pub, 'another article', urls.articles[1]);
	const byImage = await articlesByImage(urls);
	assert.ok(byImage.with, 'the demo has an article with a lead image');
	assert.ok(byImage.without, 'the demo has an article without a lead image');
	await check(pub, 'article with an image', byImage.with);
	await check(pub, 'article without an image', byImage.without);
	const video = await findVideoArticle();
	assert.ok(video, 'the demo has an article with a video embed');
	await check(pub, 'article with a video', video);
	await check(pub, '404', '/articles/no-such-article-here', 404);
	await check(pub, 'trending', '/trending');
	// search (issue 9): results with their snippets, and the no-results state
	await check(pub, 'search results', '/search?q=the+council');
	await check(pub, 'search, no results', '/search?q=zzqxnothingmatches');
	// donations (issue 10): the donation form's page
	await check(pub, 'donate', '/donate');
	// The stream: its fragment checked as the items of a document, and the
	// article page again once it has loaded a batch of them.
	const more = /data-more="([^"]+)"/.exec(pages.get('article').html);
	assert.ok(more, 'the article names a stream batch');
	const frag = await fetch(new URL(more[1].replace(/&amp;/g, '&'), BASE));
	assert.equal(frag.status, 200);
	pages.set('stream fragment', {
		path: more[1],
		html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>stream</title></head><body><main><h1>stream</h1><h2>more</h2>${await frag.text()}</main></body></html>`,
		axe: [],
	});
	await pub.goto(BASE + urls.articles[0], { waitUntil: 'networkidle' });
	const n = await pub.locator('.stream .stream-item').count();
	await pub.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
	await pub.waitForFunction((k) => document.querySelectorAll('.stream .stream-item').length > k, n, { timeout: 20000 });
	pages.get('article').axeStream = await axeViolations(pub);

	// The admin: the login page signed out, then every page reachable signed in.
	const door = await adminCtx.context.newPage();
	await check(door, 'admin login', '/admin/login');
	// the password reset page, through a one-time link the CLI prints (the
	// link is not used, so the owner's password stays as it is)
	const reset = /\/admin\/reset\?token=[A-Za-z0-9_-]+/.exec(await masthead(['user', 'reset', ADMIN_EMAIL]));
	assert.ok(reset, '`masthead user reset` prints a reset link');
	await check(door, 'admin password reset', reset[0]);
	await door.close();
	const page = await adminLogin(adminCtx.context);
	// (issue 8) the article page with a comment thread, and its notice after posting
	const commented = await commentedArticle(page, urls.articles[Math.min(3, urls.articles.length - 1)]);
	await check(pub, 'article with comments', commented);
	await check(pub, 'article after posting a comment', `${commented}?comment=held`);
	await check(page, 'admin comments, every status', '/admin/comments?status=all');
	// a draft of our own, so that the conflict below touches no public page
	const editor = await writeArticle(page, { headline: 'Conformance check draft', body: 'First text.' });
	pages.set('admin editor after a save', {
		path: page.url(), html: await (await page.request.get(page.url())).text(), axe: await axeBothSchemes(page),
	});
	adminShapes = await crawlAdmin(page);
	await check(page, 'admin editor, new article', '/admin/articles/new');
	// The conflict page: two pages read the draft, the second saves last.
	const other = await adminCtx.context.newPage();
	await page.goto(BASE + editor);
	await other.goto(BASE + editor);
	await other.getByLabel('Body').fill('Their text.');
	await other.getByRole('button', { name: 'Save draft', exact: true }).click();
	await other.waitForURL(/\?saved=/);
	await page.getByLabel('Body').fill('My text.');
	const [res] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === editor),
		page.getByRole('button', { name: 'Save draft', exact: true }).click(),
	]);
	assert.equal(res.status(), 409, 'the stale save is refused');
	await page.waitForLoadState('load');
	pages.set('admin conflict', { path: editor, html: await res.text(), axe: await axeBothSchemes(page) });

	// a canary the checkers must fault, so that a checker that silently ran
	// on nothing cannot pass the pages above
	pages.set('canary', {
		path: 'canary',
		html: '<!doctype html><html lang="en"><head><title>x</title></head><body><div><p>a</div><img src="x.png"><input name="q"></body></html>',
		axe: [],
	});
	await page.setContent(pages.get('canary').html);
	pages.get('canary').axe = await axeViolations(page);
	vnu = await runVnu();
});

test('the checkers fault a broken page (an image without alt, an input without label)', () => {
	const errors = vnu.get('canary').filter((m) => m.type === 'error').map((m) => m.message);
	assert.ok(errors.some((m) => /“img” element must have an “alt” attribute/.test(m)), `Nu errors: ${errors.join('; ')}`);
	const rules = pages.get('canary').axe.map((v) => v.split(' ')[0]);
	assert.ok(rules.includes('image-alt') && rules.includes('label'), `axe violations: ${rules.join(', ')}`);
});

after(async () => {
	await publicCtx?.close();
	await adminCtx?.close();
});

test('the admin crawl reached the dashboard, the article list and an article\'s editor', () => {
	for (const s of ['/admin', '/admin/articles', '/admin/articles/N', '/admin/articles/new', '/admin/comments']) {
		assert.ok(adminShapes.has(s) || pages.has(`admin ${s}`), `the crawl from /admin reached ${s}`);
	}
});

const NAMES = ['home', 'section front', 'section front, page 2', 'author', 'tag', 'article', 'another article',
	'article with an image', 'article without an image', 'article with a video', '404', 'trending', 'search results',
	'search, no results', 'donate', 'stream fragment',
	'admin login', 'admin editor after a save', 'admin editor, new article', 'admin conflict', 'admin password reset',
	'article with comments', 'article after posting a comment', 'admin comments, every status'];

// Test names are fixed before the pages are loaded; the crawled admin pages
// are checked together in one test each for the Nu checker and axe.
function nuProblems(name, t) {
	const p = pages.get(name);
	const lines = p.html.split('\n');
	const errors = [];
	for (const m of vnu.get(name)) {
		const where = `${name} (${p.path}):${m.lastLine ?? '?'}:${m.firstColumn ?? m.lastColumn ?? '?'}`;
		const src = m.lastLine ? (lines[m.lastLine - 1] || '').trim().slice(0, 160) : '';
		const text = `${where} ${m.message}\n    ${src}`;
		if (m.type === 'error' || m.type === 'non-document-error') {
			errors.push(text);
		} else if (m.subType === 'warning') {
			t.diagnostic(`Nu warning: ${text}`);
		}
	}
	return errors;
}

for (const name of NAMES) {
	test(`Nu HTML checker: ${name}`, (t) => {
		if (!pages.has(name) && name === 'section front, page 2') {
			assert.fail('the demo site has no section front with a second page');
		}
		const errors = nuProblems(name, t);
		assert.equal(errors.length, 0, `${errors.length} error(s):\n${errors.join('\n')}`);
	});
	if (name !== 'stream fragment') {
		test(`axe WCAG 2.1 A/AA: ${name}`, () => {
			const p = pages.get(name);
			assert.ok(p, `the page ${name} was not found on the site`);
			const v = p.axe.concat(p.axeStream || []);
			assert.equal(v.length, 0, `${v.length} violation(s) on ${p.path}:\n${v.join('\n')}`);
		});
	}
}

test('Nu HTML checker: every admin page reached from /admin', (t) => {
	const errors = [...pages.keys()].filter((n) => n.startsWith('admin /')).flatMap((n) => nuProblems(n, t));
	assert.equal(errors.length, 0, `${errors.length} error(s):\n${errors.join('\n')}`);
});

test('axe WCAG 2.1 A/AA: every admin page reached from /admin', () => {
	const v = [...pages].filter(([n]) => n.startsWith('admin /')).flatMap(([n, p]) => p.axe.map((x) => `${p.path}: ${x}`));
	assert.equal(v.length, 0, `${v.length} violation(s):\n${v.join('\n')}`);
});
