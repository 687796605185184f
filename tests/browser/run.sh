#!/bin/sh
# Browser tests of the default theme: builds a demo site with the masthead
# binary given as $1, serves it on a free loopback port, runs the node tests
# (*.test.mjs, TAP on stdout) against it with MASTHEAD_URL, and stops the
# server. Chromium is Debian's /usr/bin/chromium, driven by playwright-core.
set -eu

bin=${1:?usage: run.sh PATH/TO/masthead}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
# for the tests that make a site of their own (editor.test.mjs)
MASTHEAD_BIN=$bin
export MASTHEAD_BIN
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# --ignore-scripts: vnu-jar's install script would fetch a Java runtime of its
# own; the Nu checker runs on Debian's (default-jre-headless, scripts/deps).
for m in playwright-core html-validate vnu-jar axe-core; do
	if [ ! -d "$here/node_modules/$m" ]; then
		(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
		break
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/masthead-browser-XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The theme under test is the checkout's, whatever the binary would pick.
MASTHEAD_THEMES=${MASTHEAD_THEMES:-$repo/themes}
export MASTHEAD_THEMES

"$bin" demo --articles 40 "$work/site" >"$work/demo.log" 2>&1 || {
	echo "Bail out! masthead demo failed:" ; sed 's/^/# /' "$work/demo.log"; exit 1; }
# views.test.mjs waits for a read to show: a short flush and refresh window
sed -i -e 's/^flush_interval = .*/flush_interval = 1/' -e 's/^refresh = .*/refresh = 2/' "$work/site/site.ini"
# trending.test.mjs waits for a list to change: Trending recomputed every 2 s
sed -i -e '/^\[trending\]/,/^\[/ s/^interval = .*/interval = 2/' "$work/site/site.ini"
# comments.test.mjs and the conformance crawl post comments from 127.0.0.1:
# a short minimum time, and a rate limit they all fit in
sed -i -e 's/^min_seconds = .*/min_seconds = 1/' -e 's/^per_minute = .*/per_minute = 600/' \
	-e 's/^burst = .*/burst = 100/' "$work/site/site.ini"
# donations (issue 10): the box on every page and /donate, for the
# conformance crawl; the providers' keys are placeholders (nothing is paid
# here: donations.test.mjs runs a site of its own with the stand-ins)
printf '%s\n' '' '[donations]' 'enabled = true' '' '[paypal]' 'api_base = http://127.0.0.1:9' \
	'approve_origin = http://127.0.0.1:9' 'client_id = placeholder' 'client_secret = placeholder' '' \
	'[stripe]' 'api_base = http://127.0.0.1:9' 'checkout_origin = http://127.0.0.1:9' \
	'secret_key = sk_test_placeholder' >>"$work/site/site.ini"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$bin" serve --site "$work/site" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!

MASTHEAD_URL=http://127.0.0.1:$port
# the site and the binary, for tests that add accounts or check what a save
# kept through the CLI (masthead article revisions --site ...)
MASTHEAD_SITE=$work/site
MASTHEAD_BIN=$bin
# screenshots are kept beside the build as test artifacts, for a person to look at
MASTHEAD_SHOTS=${MASTHEAD_SHOTS:-$(dirname "$bin")/screenshots}
mkdir -p "$MASTHEAD_SHOTS"
# the demo's owner, printed once by `masthead demo`, for the admin's tests
MASTHEAD_ADMIN_EMAIL=$(sed -n 's/^ *email: *//p' "$work/demo.log")
MASTHEAD_ADMIN_PASSWORD=$(sed -n 's/^ *password: *//p' "$work/demo.log")
export MASTHEAD_URL MASTHEAD_ADMIN_EMAIL MASTHEAD_ADMIN_PASSWORD MASTHEAD_SITE MASTHEAD_BIN MASTHEAD_SHOTS
# Wait (up to 20 s) for the server to answer.
if ! node -e '
const url = process.env.MASTHEAD_URL + "/";
const end = Date.now() + 20000;
(async () => {
	while (Date.now() < end) {
		try { const r = await fetch(url); if (r.status < 500) process.exit(0); } catch (e) {}
		await new Promise((r) => setTimeout(r, 100));
	}
	process.exit(1);
})();'; then
	echo "Bail out! masthead serve did not answer on $MASTHEAD_URL:"
	sed 's/^/# /' "$work/serve.log"
	exit 1
fi

cd "$here"
rc=0
# MASTHEAD_BROWSER_TESTS: the test files to run (default all), e.g. while
# working on one: MASTHEAD_BROWSER_TESTS=./admin.test.mjs run.sh build/masthead
# shellcheck disable=SC2086
node --test --test-reporter=tap ${MASTHEAD_BROWSER_TESTS:-./*.test.mjs} || rc=$?
# The server must stop cleanly on SIGTERM: under `make test-asan` a sanitizer
# report (abort_on_error) or a leak at exit shows here and fails the run.
kill -TERM "$pid"
src=0
wait "$pid" || src=$?
pid=
if [ $src -ne 0 ]; then
	echo "Bail out! masthead serve exited with status $src on SIGTERM (a sanitizer report?)"
	rc=1
fi
if [ $rc -ne 0 ]; then
	echo "# server log:"; tail -n 40 "$work/serve.log" | sed 's/^/# /'
fi
exit $rc
