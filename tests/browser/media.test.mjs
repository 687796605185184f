// The media library in Chromium, as the demo's owner: an image chosen with
// the editor's "Upload an image" goes to the library and its address fills
// the Image field (the script under themes/admin/static, no inline script);
// the library's own form (a page without script) uploads; both pages are
// valid HTML. One login for all: argon2id makes each one slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { BASE, openContext, validHtml } from './lib.mjs';

const EMAIL = process.env.MASTHEAD_ADMIN_EMAIL;
const PASSWORD = process.env.MASTHEAD_ADMIN_PASSWORD;

// A real PNG of w x h pixels in one colour (seeded so each test's is its
// own): Node has zlib but, before v22, no CRC-32, so that is here.
function crc32(buf) {
	let c = ~0;
	for (const b of buf) {
		c ^= b;
		for (let k = 0; k < 8; k++) {
			c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
		}
	}
	return ~c >>> 0;
}

function png(w, h, seed) {
	const chunk = (type, data) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(td));
		return Buffer.concat([len, td, crc]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // RGB
	const row = Buffer.alloc(1 + w * 3);
	for (let x = 0; x < w; x++) {
		row[1 + x * 3] = seed & 0xff;
		row[2 + x * 3] = (seed >> 8) & 0xff;
		row[3 + x * 3] = x & 0xff;
	}
	const raw = Buffer.concat(Array.from({ length: h }, () => row));
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function logIn(page) {
	await page.goto(`${BASE}/admin/login`);
	await page.getByLabel('Email').fill(EMAIL);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${BASE}/admin`);
}

test('upload from the editor fills the Image field; the library\'s own form uploads too; both pages are valid HTML', async () => {
	assert.ok(EMAIL && PASSWORD, 'run.sh found the demo owner in masthead demo\'s output');
	const { context, close } = await openContext();
	try {
		const page = await context.newPage();
		// a script error, or the Content-Security-Policy refusing something
		const errors = [];
		page.on('pageerror', (e) => errors.push(e.message));
		page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) errors.push(m.text()); });
		await logIn(page); // once: argon2id makes a login slow on purpose
		await page.goto(`${BASE}/admin/articles/new`);
		const image = page.getByLabel('Image', { exact: true });
		assert.equal(await image.inputValue(), '');
		const bytes = png(64, 48, Date.now() & 0xffff);
		await page.getByLabel('Upload an image').setInputFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: bytes });
		await page.waitForFunction(() => /^\/media\/[0-9a-f]{32}\.png$/.test(document.getElementById('image').value),
			null, { timeout: 20000 });
		const url = await image.inputValue();
		assert.match(await page.locator('.media-picker [role=status]').textContent(), /Uploaded/);
		// the address serves the very bytes chosen
		const res = await page.request.get(`${BASE}${url}`);
		assert.equal(res.status(), 200);
		assert.equal(res.headers()['content-type'], 'image/png');
		assert.ok(Buffer.compare(await res.body(), bytes) === 0, 'the original, byte for byte');
		// nothing else on the editor changed, and no script error (CSP included)
		assert.equal(await page.getByLabel('Headline').inputValue(), '');
		assert.deepEqual(errors, []);

		// a file that is not an image: the server's sentence, the field unchanged
		await page.getByLabel('Upload an image').setInputFiles({ name: 'notes.png', mimeType: 'image/png',
			buffer: Buffer.from('not an image at all\n') });
		await page.waitForFunction(() => /JPEG, PNG, WebP or GIF/.test(document.querySelector('.media-picker [role=status]').textContent),
			null, { timeout: 20000 });
		assert.equal(await image.inputValue(), url);

		// the library's form (a plain multipart form: no script on that page)
		await page.goto(`${BASE}/admin/media`);
		await validHtml('/admin/media', await page.content());
		assert.equal(await page.locator('script').count(), 0, 'the library page has no script');
		await page.getByLabel('Image file').setInputFiles({ name: 'pier.png', mimeType: 'image/png',
			buffer: png(80, 60, (Date.now() + 7) & 0xffff) });
		await page.getByLabel('Image description').fill('The pier at low tide');
		await page.getByRole('button', { name: 'Upload' }).click();
		await page.waitForURL(/\/admin\/media\/[0-9a-f]{32}\.png\?uploaded=1$/);
		const html = await page.content();
		assert.match(html, /The image was uploaded\./);
		assert.match(html, /80 × 60 pixels/);
		assert.equal(await page.getByLabel('Image description').inputValue(), 'The pier at low tide');
		await validHtml('/admin/media/NAME', html);
		await page.goto(`${BASE}/admin/media`);
		assert.ok(await page.locator(`a[href="${url.replace('/media/', '/admin/media/')}"]`).count() === 1,
			'the editor\'s upload is in the grid');
		await validHtml('/admin/media (with images)', await page.content());
		assert.deepEqual(errors, []);
	} finally {
		await close();
	}
});
