// The editor's helpers, for a page that works without them: the live
// preview (the Preview button's own submit into the sandboxed frame, again
// as you type), the word count, Ctrl+S / Cmd+S, and autosave of a stored
// draft (POST /admin/autosave/ID, see admin_articles.c). Loaded as a file:
// the admin's Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  var form = document.querySelector("form.editor__form");
  if (!form) return;
  var body = form.querySelector("#body");
  var previewButton = form.querySelector("[data-preview]");
  var saveButton = form.querySelector("[data-save]");
  var statusLine = form.querySelector("[data-autosave-status]");
  var base = form.querySelector("input[name=base_revision]");
  var autosaveUrl = form.getAttribute("data-autosave");

  var PREVIEW_DELAY_MS = 800;
  var AUTOSAVE_DELAY_MS = 3000;
  // a run of autosaves replaces its own revision for this long (the
  // server's MH_STORE_AUTOSAVE_WINDOW_S), then starts a new one
  var RUN_MS = 5 * 60 * 1000;

  // The word count: the same rule as mh_content_word_count (content.h).
  var WPM = 230;
  function countWords(text) {
    var n = 0;
    var parts = text.split(/[ \t\n\v\f\r]+/);
    for (var i = 0; i < parts.length; i++)
      if (/[A-Za-z0-9\u0080-\uffff]/.test(parts[i])) n++;
    return n;
  }
  function showCount() {
    var words = countWords(body.value);
    var w = document.querySelector("[data-words]");
    var m = document.querySelector("[data-minutes]");
    if (w) w.textContent = String(words);
    if (m) m.textContent = String(Math.ceil(words / WPM));
  }

  // Each preview goes into a new frame, shown once it has loaded in place
  // of the one before: the first page a new frame loads adds no entry to
  // the tab's history, so Back still leaves the editor (posting again and
  // again into one frame would add an entry every time), and the pane never
  // blanks while the next one loads.
  var pane = document.querySelector(".editor__preview");
  var previewTimer = null;
  var frames = 0;
  var previewing = false; // our own submit into the new frame
  function preview() {
    previewTimer = null;
    var shown = pane && pane.querySelector("iframe");
    if (!previewButton || !form.requestSubmit || !shown) return;
    var next = document.createElement("iframe");
    next.name = "mh-preview-" + (++frames);
    next.title = shown.title;
    next.setAttribute("sandbox", ""); // no script, an origin of its own
    next.hidden = true;
    pane.appendChild(next);
    previewButton.formTarget = next.name;
    previewing = true;
    form.requestSubmit(previewButton);
    previewing = false;
    var mine = frames;
    next.addEventListener("load", function () {
      if (mine !== frames) { // a newer one is on its way
        next.remove();
        return;
      }
      pane.querySelectorAll("iframe").forEach(function (f) {
        if (f !== next) f.remove();
      });
      next.hidden = false;
    });
  }

  // ---- autosave ----
  var saveTimer = null;
  var inflight = null; // the request being made, or null
  var stopped = false; // after a conflict: the person decides, not us
  var lastRevision = 0; // the revision our previous autosave made
  var runStart = 0;
  var dirty = false;

  function say(text) {
    if (statusLine) statusLine.textContent = text;
  }

  function autosave() {
    saveTimer = null;
    if (stopped || !dirty) return;
    if (inflight) { // one at a time: try again when this one is done
      schedule();
      return;
    }
    dirty = false;
    var data = new URLSearchParams(new FormData(form));
    var now = Date.now();
    if (lastRevision && now - runStart < RUN_MS) {
      data.set("replaces", String(lastRevision));
    } else {
      runStart = now;
    }
    say("Saving…");
    inflight = fetch(autosaveUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (res) {
      return res.json().catch(function () {
        return { error: "Not saved: the server answered " + res.status + "." };
      }).then(function (j) {
        if (res.ok && j.revision) {
          base.value = String(j.revision);
          lastRevision = j.revision;
          say("Saved " + j.saved);
        } else {
          if (res.status === 409) stopped = true;
          if (res.status === 409 || res.status === 403 || res.status === 404) dirty = false;
          else dirty = true;
          say(j.error || "Not saved (" + res.status + ").");
        }
      });
    }).catch(function () {
      dirty = true;
      say("Not saved: the site cannot be reached. Trying again.");
      schedule();
    }).then(function () {
      inflight = null;
    });
  }

  function schedule() {
    if (!autosaveUrl || stopped) return;
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, AUTOSAVE_DELAY_MS);
  }

  function changed(e) {
    if (e.target === body) showCount();
    if (previewTimer) clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, PREVIEW_DELAY_MS);
    dirty = true;
    schedule();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // A save with a button while an autosave is on its way waits for it, so
  // that it carries the version that autosave made.
  form.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.hasAttribute("data-preview")) {
      if (!previewing) { // the button itself: the same, into a new frame
        e.preventDefault();
        preview();
      }
      return;
    }
    if (saveTimer) {
      clearTimeout(saveTimer);
      saveTimer = null;
    }
    if (inflight) {
      e.preventDefault();
      var by = e.submitter;
      inflight.then(function () {
        form.requestSubmit(by);
      });
    }
  });

  // Ctrl+S / Cmd+S: the article's save, as the page names it.
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      if (saveButton && form.requestSubmit) form.requestSubmit(saveButton);
    }
  });

  showCount();
  preview();
})();
