/*
 * Masthead default theme: Trending lists kept fresh (issue 8). A cached page
 * carries the lists as they were when it was made; this replaces each
 * `ol[data-trending]` (value "": the site's list; else a section's address
 * name) from /trending.json (?section=SLUG), which browsers and caches keep
 * for at most its "refresh" seconds (<= 60), then again every refresh while
 * the page stays open. An empty box is hidden; a failed fetch keeps what the
 * page had. Items are built with DOM calls: no markup from the response.
 */
(function () {
	'use strict';

	if (!window.fetch) {
		return;
	}
	var lists = document.querySelectorAll('ol[data-trending]');
	if (lists.length === 0 || document.documentElement.getAttribute('data-trending-bound')) {
		return; /* nothing to refresh, or another copy of this script runs */
	}
	document.documentElement.setAttribute('data-trending-bound', '1');

	function item(a) {
		var li = document.createElement('li');
		li.className = 'trending__item';
		var link = document.createElement('a');
		link.href = a.url;
		link.textContent = a.headline;
		var views = document.createElement('span');
		views.className = 'trending__views';
		views.textContent = a.views_display + ' Views';
		li.appendChild(link);
		li.appendChild(document.createTextNode(' '));
		li.appendChild(views);
		return li;
	}

	function fill(ol, articles) {
		var max = parseInt(ol.getAttribute('data-trending-max'), 10) || 10;
		while (ol.firstChild) {
			ol.removeChild(ol.firstChild);
		}
		for (var i = 0; i < articles.length && i < max; i++) {
			if (typeof articles[i].url === 'string' && articles[i].url.charAt(0) === '/') {
				ol.appendChild(item(articles[i]));
			}
		}
		var box = ol.closest('section');
		if (box) {
			box.hidden = ol.children.length === 0;
		}
	}

	function refresh() {
		var bySection = {};
		Array.prototype.forEach.call(lists, function (ol) {
			var slug = ol.getAttribute('data-trending');
			(bySection[slug] = bySection[slug] || []).push(ol);
		});
		var next = 60;
		var pending = Object.keys(bySection).map(function (slug) {
			var url = '/trending.json' + (slug ? '?section=' + encodeURIComponent(slug) : '');
			return fetch(url, { credentials: 'omit' }).then(function (r) {
				return r.ok ? r.json() : null;
			}).then(function (d) {
				if (!d || !Array.isArray(d.articles)) {
					return;
				}
				if (typeof d.refresh === 'number' && d.refresh > 0 && d.refresh < next) {
					next = d.refresh;
				}
				bySection[slug].forEach(function (ol) {
					fill(ol, d.articles);
				});
			}).catch(function () {});
		});
		Promise.all(pending).then(function () {
			setTimeout(refresh, next * 1000);
		});
	}
	refresh();
}());
