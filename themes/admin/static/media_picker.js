// The editor's image upload (themes/admin/media_picker.mustache): the chosen
// file goes to the media library as the library's own form would send it,
// with the session's CSRF token in X-CSRF-Token, and the answer's address
// fills the Image field. Errors are the server's sentences, shown as text.
(function () {
  "use strict";
  var box = document.querySelector(".media-picker");
  if (!box) return;
  var input = box.querySelector("input[type=file]");
  var status = box.querySelector(".media-picker__status");
  var target = document.getElementById(box.getAttribute("data-target"));
  function say(text) { status.textContent = text; }
  input.addEventListener("change", function () {
    if (!input.files || input.files.length === 0) return;
    var body = new FormData();
    body.append("file", input.files[0]);
    var alt = document.getElementById("image_alt");
    if (alt && alt.value) body.append("alt", alt.value);
    say("Uploading…");
    fetch(box.getAttribute("data-upload"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRF-Token": box.getAttribute("data-csrf") }
    }).then(function (res) {
      if (res.type === "opaqueredirect") {
        return { error: "Your session has ended: log in again in another tab, then choose the file again." };
      }
      return res.json().catch(function () {
        return { error: "The upload failed (" + res.status + "). Try again, or use the media library." };
      });
    }).then(function (answer) {
      if (answer.url) {
        target.value = answer.url;
        target.dispatchEvent(new Event("input", { bubbles: true }));
        say("Uploaded: " + answer.url);
        input.value = "";
      } else {
        say(answer.error || "The upload failed.");
      }
    }, function () {
      say("The upload did not reach the server. Check the connection and try again.");
    });
  });
})();
