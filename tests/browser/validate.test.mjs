// (f) Every page type is valid HTML by html-validate's recommended rules,
// less the purely stylistic ones (how a void tag or a doctype is spelled,
// trailing spaces, title length). Pages are fetched from the server as a
// reader's browser gets them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { HtmlValidate, StaticConfigLoader } from 'html-validate';
import { fetchText, discover } from './lib.mjs';

const validator = new HtmlValidate(new StaticConfigLoader({
	extends: ['html-validate:recommended'],
	rules: {
		// style, not validity
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

let urls;
before(async () => {
	urls = await discover();
});

async function validate(name, path, status = 200) {
	assert.ok(path, `no ${name} page was found on the site`);
	const page = await fetchText(path);
	assert.equal(page.status, status, `${path} answered ${page.status}`);
	assert.match(page.type, /^text\/html/);
	const report = await validator.validateString(page.text, path);
	const problems = report.results.flatMap((r) => r.messages).map((m) => {
		const line = page.text.split('\n')[m.line - 1] || '';
		return `${path}:${m.line}:${m.column} ${m.ruleId}: ${m.message}\n    ${line.trim().slice(0, 160)}`;
	});
	assert.equal(problems.length, 0, `${problems.length} problem(s):\n${problems.join('\n')}`);
}

test('home page is valid HTML', () => validate('home', '/'));
test('section front (page 1) is valid HTML', async () => validate('front', urls.front));
test('section front (page 2) is valid HTML', async () => validate('front page 2', urls.front2));
test('author page is valid HTML', async () => validate('author', urls.author));
test('tag page is valid HTML', async () => validate('tag', urls.tag));
test('article page is valid HTML', async () => validate('article', urls.articles[0]));
test('every article on the home page is valid HTML', async () => {
	for (const a of urls.articles.slice(1)) {
		await validate('article', a);
	}
});
test('404 page is valid HTML', async () => validate('404', '/articles/no-such-article-here', 404));
test('the stream fragment is items plus a marker, without a layout', async () => {
	const page = await fetchText(urls.articles[0]);
	const more = /data-more="([^"]+)"/.exec(page.text);
	assert.ok(more, 'the article names a stream batch');
	const frag = await fetchText(more[1].replace(/&amp;/g, '&'));
	assert.equal(frag.status, 200);
	assert.doesNotMatch(frag.text, /<html|<body|<head/i);
	assert.match(frag.text, /class="stream-item"/);
	assert.match(frag.text, /class="stream__marker" data-more="[^"]*"/);
	// wrapped in a document, its markup validates too
	const doc = `<!doctype html><html lang="en"><head><title>x</title></head><body><main><h1>x</h1><h2>x</h2>${frag.text}</main></body></html>`;
	const report = await validator.validateString(doc, 'stream');
	const msgs = report.results.flatMap((r) => r.messages).map((m) => `${m.ruleId}: ${m.message}`);
	assert.deepEqual(msgs, []);
});
