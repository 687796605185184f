/*
 * Masthead default theme: comments (issue 8). Without this script the forms
 * post and the server answers with a redirect back to the article. With it:
 *  - each form's token is replaced by a fresh one from GET /comments/ID as
 *    the page loads (the cached page's token is as old as the cached page;
 *    the minimum time between loading and sending counts from now);
 *  - a form posts in place (Accept: application/json): an approved comment
 *    appears where it belongs, a held one says it awaits moderation, a
 *    refused one shows the server's reason, and what was typed stays.
 */
(function () {
	'use strict';

	var forms = document.querySelectorAll('form[data-comment-form]');
	if (!forms.length || !window.fetch || !window.FormData) {
		return;
	}
	var action = forms[0].getAttribute('action') || '';
	if (!/^\/comments\/[0-9]+$/.test(action)) {
		return;
	}

	fetch(action, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
		.then(function (r) { return r.ok ? r.json() : null; })
		.then(function (j) {
			if (!j || typeof j.token !== 'string') {
				return;
			}
			forms.forEach(function (f) {
				var t = f.querySelector('input[name=token]');
				if (t) {
					t.value = j.token;
				}
			});
		})
		.catch(function () {});

	function textItem(c) {
		var li = document.createElement('li');
		li.className = 'comment' + (c.parent ? ' comment--reply' : '');
		li.id = 'comment-' + c.id;
		var art = document.createElement('div');
		art.className = 'comment__body';
		var head = document.createElement('header');
		head.className = 'comment__meta';
		var name = document.createElement('span');
		name.className = 'comment__name';
		name.textContent = c.name;
		head.appendChild(name);
		art.appendChild(head);
		var body = document.createElement('div');
		body.className = 'comment__text';
		/* html is the server's rendering of the safe subset: the same
		 * trusted HTML the page itself shows for a comment */
		body.innerHTML = c.html;
		art.appendChild(body);
		li.appendChild(art);
		return li;
	}

	function place(form, c) {
		var item = textItem(c);
		if (c.parent) {
			var replies = document.querySelector('[data-replies-of="' + String(c.parent).replace(/[^0-9]/g, '') + '"]');
			if (replies) {
				replies.appendChild(item);
				return;
			}
		}
		var list = document.querySelector('[data-comments-list]');
		if (list) {
			list.appendChild(item);
			var empty = document.querySelector('.comments__empty');
			if (empty) {
				empty.remove();
			}
		}
	}

	forms.forEach(function (form) {
		form.addEventListener('submit', function (ev) {
			ev.preventDefault();
			var status = form.querySelector('[data-comment-status]');
			var button = form.querySelector('button[type=submit]');
			if (button) {
				button.disabled = true;
			}
			fetch(form.getAttribute('action'), {
				method: 'POST',
				body: new URLSearchParams(new FormData(form)),
				credentials: 'same-origin',
				headers: { Accept: 'application/json' }
			}).then(function (r) {
				return r.json().then(function (j) { return { ok: r.ok, j: j }; });
			}).then(function (res) {
				if (status) {
					status.textContent = res.ok ? res.j.message : res.j.error;
				}
				if (res.ok) {
					if (res.j.status === 'approved') {
						place(form, res.j);
					}
					var text = form.querySelector('textarea[name=comment]');
					if (text) {
						text.value = '';
					}
				}
			}).catch(function () {
				if (status) {
					status.textContent = 'The comment could not be sent; check the connection and try again.';
				}
			}).then(function () {
				if (button) {
					button.disabled = false;
				}
			});
		});
	});
})();
