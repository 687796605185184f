/*
 * Masthead default theme: counting a read (issue 8). Once the page is really
 * shown (not while prerendered), one beacon goes to /views/ID; the count on
 * the page, as cached, is then refreshed from /views/ID.json, which the
 * server lets browsers and caches keep for its "refresh" seconds.
 */
(function () {
	'use strict';

	var el = document.querySelector('.views[data-views-id]');
	var id = el && el.getAttribute('data-views-id');
	if (!id || !/^[0-9]+$/.test(id)) {
		return;
	}
	var url = '/views/' + id;

	function sendBeacon() {
		if (navigator.sendBeacon) {
			navigator.sendBeacon(url);
		} else if (window.fetch) {
			fetch(url, { method: 'POST', keepalive: true, credentials: 'omit' });
		}
	}

	if (document.prerendering) {
		document.addEventListener('prerenderingchange', sendBeacon, { once: true });
	} else {
		sendBeacon();
	}

	var count = el.querySelector('.views__count');
	function refresh() {
		if (!window.fetch || !count) {
			return;
		}
		fetch(url + '.json', { credentials: 'omit' }).then(function (r) {
			return r.ok ? r.json() : null;
		}).then(function (d) {
			if (!d || typeof d.display !== 'string') {
				return;
			}
			count.textContent = d.display;
			var s = typeof d.refresh === 'number' && d.refresh > 0 ? d.refresh : 60;
			setTimeout(refresh, s * 1000);
		}).catch(function () {});
	}
	/* after the beacon has had a flush to land in; then every refresh */
	setTimeout(refresh, 1000);
}());
