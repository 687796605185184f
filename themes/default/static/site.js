/*
 * Masthead default theme: progressive enhancement, no dependencies.
 * Every page works without this file; it adds
 *  1. click-to-load video embeds: nothing is requested from the video host
 *     until the reader presses play;
 *  2. the endless "Continue Reading" stream under an article: the next batch
 *     is fetched (same origin) as the end of the stream nears the viewport, and
 *     the address bar and title follow the article being read.
 */
(function () {
	'use strict';

	var root = document.documentElement;
	root.classList.add('js');

	/* ---- 1. video embeds ---- */

	var VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

	function playVideo(figure) {
		var id = figure.getAttribute('data-video-id') || '';
		if (!VIDEO_ID.test(id)) {
			return;
		}
		var link = figure.querySelector('.video-embed__link');
		var title = link && link.textContent.trim();
		var frame = document.createElement('iframe');
		frame.className = 'video-embed__frame';
		frame.src = 'https://www.youtube-nocookie.com/embed/' + id + '?autoplay=1';
		frame.title = title || 'Video';
		frame.allow = 'autoplay; encrypted-media; picture-in-picture; fullscreen';
		frame.allowFullscreen = true;
		frame.referrerPolicy = 'strict-origin-when-cross-origin';
		while (figure.firstChild) {
			figure.removeChild(figure.firstChild);
		}
		figure.appendChild(frame);
		figure.classList.add('is-playing');
		frame.focus();
	}

	document.addEventListener('click', function (ev) {
		var target = ev.target;
		var button = target && target.closest ? target.closest('.video-embed__play') : null;
		if (!button) {
			return;
		}
		var figure = button.closest('.video-embed');
		if (figure) {
			ev.preventDefault();
			playVideo(figure);
		}
	});

	/* ---- 2. the Continue Reading stream ---- */

	var stream = document.querySelector('.stream[data-more]');
	var list = stream && stream.querySelector('.stream__items');
	if (!stream || !list || !('IntersectionObserver' in window) || !window.fetch ||
	    !window.history || !history.replaceState) {
		return;
	}

	var article = document.querySelector('.article[data-url]');
	var more = stream.getAttribute('data-more') || '';
	var loading = false;

	/* Titles of stream articles copy the page's own pattern: if the page is
	 * titled "Headline | Site", a stream item is titled "Its headline | Site". */
	var firstTitle = document.title;
	var mainHeadline = article ? article.getAttribute('data-headline') || '' : '';
	var titlePrefix = '';
	var titleSuffix = '';
	var at = mainHeadline ? firstTitle.indexOf(mainHeadline) : -1;
	if (at >= 0) {
		titlePrefix = firstTitle.slice(0, at);
		titleSuffix = firstTitle.slice(at + mainHeadline.length);
	}
	var firstUrl = location.href;

	var status = document.createElement('p');
	status.className = 'stream__status';
	status.setAttribute('role', 'status');
	status.setAttribute('aria-live', 'polite');
	var sentinel = document.createElement('div');
	sentinel.className = 'stream__sentinel';
	sentinel.setAttribute('aria-hidden', 'true');
	list.parentNode.insertBefore(status, list.nextSibling);
	list.parentNode.insertBefore(sentinel, status);

	/* The next batch's URL, or '' when it is not ours to fetch. */
	function sameOrigin(href) {
		if (!href) {
			return '';
		}
		try {
			var u = new URL(href, location.href);
			return u.origin === location.origin ? u.href : '';
		} catch (e) {
			return '';
		}
	}

	function stop() {
		more = '';
		stream.setAttribute('data-more', '');
		watcher.disconnect();
	}

	function nearEnd() {
		var r = sentinel.getBoundingClientRect();
		return r.top < (window.innerHeight || root.clientHeight) + 800;
	}

	function load() {
		var url = sameOrigin(more);
		if (loading) {
			return;
		}
		if (!url) {
			stop();
			return;
		}
		loading = true;
		stream.setAttribute('aria-busy', 'true');
		status.textContent = 'Loading\u2026';
		fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
			.then(function (res) {
				if (!res.ok) {
					throw new Error('HTTP ' + res.status);
				}
				return res.text();
			})
			.then(function (html) {
				var tpl = document.createElement('template');
				tpl.innerHTML = html;
				var frag = tpl.content;
				var marker = frag.querySelector('[data-more]');
				var next = marker ? marker.getAttribute('data-more') || '' : '';
				var items = frag.querySelectorAll('.stream-item');
				var added = 0;
				for (var i = 0; i < items.length; i++) {
					var u = items[i].getAttribute('data-url');
					if (u && seen[u]) {
						continue; /* never show an article twice */
					}
					seen[u] = true;
					list.appendChild(document.importNode(items[i], true));
					added++;
				}
				loading = false;
				stream.removeAttribute('aria-busy');
				status.textContent = '';
				/* An empty batch or a repeated URL ends the stream. */
				if (!added || !next || sameOrigin(next) === url) {
					stop();
					return;
				}
				more = next;
				stream.setAttribute('data-more', next);
				track();
				if (nearEnd()) {
					load();
				}
			})
			.catch(function () {
				/* Leave the plain links (next story, More stories) in charge. */
				loading = false;
				stream.removeAttribute('aria-busy');
				stream.classList.remove('is-live');
				status.textContent = '';
				stop();
			});
	}

	var seen = {};
	if (article) {
		seen[article.getAttribute('data-url')] = true;
	}
	Array.prototype.forEach.call(list.querySelectorAll('.stream-item[data-url]'), function (it) {
		seen[it.getAttribute('data-url')] = true;
	});

	var watcher = new IntersectionObserver(function (entries) {
		for (var i = 0; i < entries.length; i++) {
			if (entries[i].isIntersecting) {
				load();
			}
		}
	}, { rootMargin: '0px 0px 800px 0px' });

	if (more) {
		stream.classList.add('is-live');
		watcher.observe(sentinel);
	}

	/* ---- the address bar follows the article being read ---- */

	var current = null;

	/* Same-origin path of an article URL (absolute URLs from another base are
	 * reduced to their path: replaceState only takes same-origin URLs). */
	function localUrl(href) {
		try {
			var u = new URL(href, location.href);
			return u.origin === location.origin ? u.href : u.pathname + u.search + u.hash;
		} catch (e) {
			return null;
		}
	}

	/* The article whose top has passed the upper third of the viewport last. */
	function track() {
		var line = (window.innerHeight || root.clientHeight) / 3;
		var items = list.querySelectorAll('.stream-item[data-url]');
		var pick = article;
		for (var i = 0; i < items.length; i++) {
			if (items[i].getBoundingClientRect().top <= line) {
				pick = items[i];
			} else {
				break;
			}
		}
		if (!pick || pick === current) {
			return;
		}
		current = pick;
		var url = pick === article ? firstUrl : localUrl(pick.getAttribute('data-url'));
		if (!url) {
			return;
		}
		var title = pick === article ? firstTitle :
			titlePrefix + pick.getAttribute('data-headline') + titleSuffix;
		try {
			history.replaceState(history.state, '', url);
		} catch (e) {
			return;
		}
		document.title = title;
		/* Reloading at a stream article's URL opens that article, from its
		 * top: the old page's scroll position would land deep inside it. */
		if ('scrollRestoration' in history) {
			history.scrollRestoration = pick === article ? 'auto' : 'manual';
		}
	}

	var ticking = false;
	function onScroll() {
		if (ticking) {
			return;
		}
		ticking = true;
		window.requestAnimationFrame(function () {
			ticking = false;
			track();
		});
	}
	window.addEventListener('scroll', onScroll, { passive: true });
	window.addEventListener('resize', onScroll, { passive: true });
	current = article;
})();

/* ---- share links' "Copy link" button (issue 9, meta) ----
 * The button is hidden in the HTML: without this script (or without the
 * Clipboard API) a reader has the plain share links only. */
(function () {
	'use strict';
	if (!navigator.clipboard || !window.isSecureContext) {
		return;
	}
	document.querySelectorAll('.share__copy').forEach(function (button) {
		var status = button.parentNode.querySelector('.share__status');
		button.hidden = false;
		button.addEventListener('click', function () {
			navigator.clipboard.writeText(button.getAttribute('data-url')).then(function () {
				if (status) {
					status.textContent = 'Link copied';
				}
			}, function () {
				if (status) {
					status.textContent = 'Could not copy the link';
				}
			});
		});
	});
})();

/* ---- donations (issue 10): the box's "on the way" state ----
 * The form works without this; with it, the reader sees where the press of
 * Donate is taking them while the server asks the provider, and a second
 * press does not start a second gift. */
(function () {
	'use strict';
	var forms = document.querySelectorAll('form.donate');
	Array.prototype.forEach.call(forms, function (form) {
		form.addEventListener('submit', function (ev) {
			if (form.getAttribute('data-sent') === '1') {
				ev.preventDefault();
				return;
			}
			form.setAttribute('data-sent', '1');
			var chosen = form.querySelector('input[name="provider"]:checked') ||
				form.querySelector('input[name="provider"][type="hidden"]');
			var name = chosen ? chosen.value : '';
			var label = name === 'paypal' ? 'PayPal' : name === 'stripe' ? 'Stripe' : 'the payment page';
			var status = form.querySelector('.donate__status');
			if (status) {
				status.textContent = 'On the way to ' + label + '…';
			}
		});
	});
	/* back from the provider with the browser's back button: the page may
	 * come from the back-forward cache with the form still marked sent */
	window.addEventListener('pageshow', function () {
		Array.prototype.forEach.call(forms, function (form) {
			form.removeAttribute('data-sent');
			var status = form.querySelector('.donate__status');
			if (status) {
				status.textContent = '';
			}
		});
	});
})();
