// The editor in Chromium, each test on a fresh site of its own (site.mjs,
// its [site] timezone not UTC): write an article with an image uploaded
// from the editor's picker, preview it in the
// site theme, schedule it a minute ahead in the site's time zone, and see it
// on the public site on time with no request made meanwhile (the job queue
// publishes it); and autosave plus Ctrl+S carrying the version forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { freshSite as newSite } from './site.mjs';

const ZONE = 'Asia/Kolkata'; // UTC+05:30: a zone a UTC reading would get wrong

// A width x height RGB gradient as PNG bytes (zlib and its crc32 are Node's).
function png(width, height) {
	const raw = Buffer.alloc((width * 3 + 1) * height);
	for (let y = 0; y < height; y++) {
		const row = y * (width * 3 + 1);
		for (let x = 0; x < width; x++) {
			raw[row + 1 + x * 3] = (x * 255) / width;
			raw[row + 2 + x * 3] = (y * 255) / height;
			raw[row + 3 + x * 3] = 90;
		}
	}
	const chunk = (type, data) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(zlib.crc32(body));
		return Buffer.concat([len, body, crc]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // RGB
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
		chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A fresh site in ZONE with an author "ed" (site.mjs).
async function freshSite() {
	const s = await newSite({ zone: ZONE, ownerName: 'Ed Owner' });
	s.masthead(['author', 'add', 'ed', '--name', 'Ed Writer']);
	return s;
}

async function logIn(s, page) {
	await s.logIn(page);
}

// "YYYY-MM-DDTHH:MM" of the instant ms in ZONE, as <input type=datetime-local> takes it.
function localTime(ms) {
	const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
		timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
		hourCycle: 'h23',
	}).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
	return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

async function until(what, fn, ms = 15000) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		last = await fn();
		if (last === true) return;
		await new Promise((r) => setTimeout(r, 100));
	}
	assert.fail(`${what}: not within ${ms / 1000} s (last: ${last})`);
}

test('write with an image, preview in the site theme, schedule a minute ahead, out on time', async () => {
	const s = await freshSite();
	try {
		const requests = [];
		s.context.on('request', (r) => requests.push(r.url()));
		const page = await s.context.newPage();
		await logIn(s, page);
		await page.goto(`${s.base}/admin/articles/new`);
		const history0 = await page.evaluate(() => history.length);
		await page.getByLabel('Headline').fill('Harbour lights return');
		await page.getByLabel('Dek').fill('After ten dark years');
		await page.getByLabel('Section').selectOption('news');
		await page.getByLabel('Authors').fill('ed');
		// the image: uploaded from the editor's own picker
		const bytes = png(640, 400);
		await page.getByLabel('Upload an image').setInputFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: bytes });
		await page.waitForFunction(() => /^\/media\/[0-9a-f]{32}\.png$/.test(document.getElementById('image').value),
			null, { timeout: 30000 });
		const image = await page.getByLabel('Image', { exact: true }).inputValue();
		assert.equal(Buffer.compare(await (await page.request.get(`${s.base}${image}`)).body(), bytes), 0,
			'the uploaded original, byte for byte');
		await page.getByLabel('Image description').fill('The harbour at dusk');
		await page.getByLabel('Body').fill('The lights come back **on Friday**.\n\n<script>document.title = "ran"</script>');

		// Preview: the button's own submit into the sandboxed frame
		await page.getByRole('button', { name: 'Preview' }).click();
		// the frame shown (editor.js loads each preview into a new one)
		const shown = '.editor__preview iframe:not([hidden])';
		const frame = page.frameLocator(shown);
		await until('the preview shows the article', async () =>
			(await frame.locator('h1').first().textContent({ timeout: 1000 }).catch(() => '')).includes('Harbour lights return'));
		assert.equal(await frame.locator('strong').first().textContent(), 'on Friday');
		const inner = await frame.locator('html').innerHTML();
		assert.match(inner, /Ed Writer/, 'the byline');
		assert.match(inner, /class="[^"]*article__body/, 'the site theme\'s article page');
		const img = frame.locator(`img[src*="${image.replace(/^\/media\//, '').replace(/\.[a-z]+$/, '')}"]`).first();
		assert.equal(await img.getAttribute('alt'), 'The harbour at dusk', 'the image, described');
		assert.doesNotMatch(inner, /<script>document\.title/, 'script in the body is not passed');
		assert.equal(await page.title().then((t) => t.includes('ran')), false);
		assert.equal(await page.locator(shown).getAttribute('sandbox'), '');
		assert.equal(await page.locator('.editor__preview iframe').count(), 1, 'one frame once loaded');
		// as you type, it follows
		await page.getByLabel('Body').fill('The lights come back **on Friday** at eight.');
		await until('the preview follows the typing', async () =>
			/at eight/.test(await page.frameLocator(shown).locator('article').first().textContent({ timeout: 1000 }).catch(() => '')));
		// Back still leaves the editor: the previews added no history entries
		assert.equal(await page.evaluate(() => history.length), history0, 'no history entry per preview');
		// the words, as typed
		assert.equal(await page.locator('[data-words]').textContent(), '8');

		// Schedule at the next whole minute at least 20 s away, in the site's zone
		const at = Math.ceil((Date.now() + 20000) / 60000) * 60000;
		assert.match(await page.locator('label[for=publish_at]').textContent(), new RegExp(ZONE));
		await page.getByLabel(/Publish at/).fill(localTime(at));
		await page.getByRole('button', { name: 'Schedule' }).click();
		await page.waitForURL(/\?saved=schedule$/);
		assert.match(await page.locator('[role=status]').first().textContent(), /Scheduled/);
		assert.equal(await page.getByLabel(/Publish at/).inputValue(), localTime(at), 'read back in the site zone');
		await page.waitForLoadState('networkidle');
		await page.goto('about:blank');
		const made = requests.length;

		// nobody asks the server anything until it is time
		const wait = at - Date.now() + 1500;
		assert.ok(wait < 90000, `scheduled ${wait} ms ahead`);
		await new Promise((r) => setTimeout(r, wait));
		assert.deepEqual(requests.slice(made), [], 'no request in between');

		const reader = await s.context.newPage();
		const res = await reader.goto(`${s.base}/articles/harbour-lights-return`);
		assert.equal(res.status(), 200, 'published by the job queue on time');
		assert.equal(await reader.locator('h1').first().textContent(), 'Harbour lights return');
		assert.ok(await reader.locator('img[alt="The harbour at dusk"]').count() > 0, 'with its image');
		assert.match(s.log(), /published scheduled article/);
	} finally {
		await s.close();
	}
});

test('a draft saves itself as you type, and Ctrl+S saves with the version it carried forward', async () => {
	const s = await freshSite();
	try {
		const page = await s.context.newPage();
		await logIn(s, page);
		await page.goto(`${s.base}/admin/articles/new`);
		assert.equal(await page.locator('[data-save]').getAttribute('aria-keyshortcuts'), 'Control+S Meta+S');
		await page.getByLabel('Headline').fill('Tide tables');
		await page.getByLabel('Section').selectOption('news');
		await page.getByLabel('Body').fill('First words.');
		await page.keyboard.press('Control+s');
		await page.waitForURL(/\/admin\/articles\/\d+\?saved=draft$/);
		assert.match(await page.locator('[role=status]').first().textContent(), /Saved as a draft/);
		const editor = page.url().replace(/\?.*$/, '');

		// typing: the count follows, then autosave says when it saved
		const base0 = await page.locator('input[name=base_revision]').inputValue();
		await page.getByLabel('Body').fill('First words. Then the second sentence arrives.');
		assert.equal(await page.locator('[data-words]').textContent(), '7');
		await until('autosave says Saved HH:MM', async () =>
			/^Saved \d\d:\d\d$/.test((await page.locator('[data-autosave-status]').textContent()).trim()));
		const base1 = await page.locator('input[name=base_revision]').inputValue();
		assert.ok(Number(base1) > Number(base0), `the version moved on: ${base0} -> ${base1}`);
		const other = await s.context.newPage();
		await other.goto(editor);
		assert.equal(await other.getByLabel('Body').inputValue(), 'First words. Then the second sentence arrives.');
		await other.close();

		// Cmd+S too, with the autosave's version: no conflict
		await page.getByLabel('Body').fill('First words. Then the second sentence arrives. A third.');
		await page.keyboard.press('Meta+s');
		await page.waitForURL(/\?saved=draft$/);
		assert.match(await page.locator('[role=status]').first().textContent(), /Saved as a draft/);
		assert.equal(await page.getByLabel('Body').inputValue(), 'First words. Then the second sentence arrives. A third.');
	} finally {
		await s.close();
	}
});
