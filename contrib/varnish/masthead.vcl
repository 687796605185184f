# Varnish 7.1 (Debian 12) in front of Masthead nodes.
#
# - Two nodes behind a round-robin director, each with a health probe on
#   /readyz: a node that stops answering, or cannot reach its database, is
#   left out until it answers again.
# - Pages are cached for as long as Masthead's Cache-Control says (s-maxage),
#   and served stale while refetched for stale-while-revalidate (grace), which
#   also covers every node being down.
# - A change in Masthead purges exactly the pages it touched: the job runner
#   sends "BAN /" with X-Purge-Keys: KEY KEY ... ([purge] varnish = in
#   site.ini), and every cached page whose Surrogate-Key header holds any of
#   those keys, as a whole word, is banned. Only the ACL below may ban.
# - Anything but GET and HEAD goes to a node uncached.
#
# Copy this file, set the backends' addresses, and run e.g.
#   varnishd -a :80 -f /etc/varnish/masthead.vcl -s malloc,1g
# See README.md beside this file.
vcl 4.1;

import directors;
import std;

probe masthead_up {
	.request = "GET /readyz HTTP/1.1"
	           "Host: localhost"
	           "User-Agent: varnish-probe"
	           "Connection: close";
	.interval = 2s;
	.timeout = 1s;
	.window = 3;
	.threshold = 2;
}

backend node1 {
	.host = "127.0.0.1";
	.port = "8081";
	.probe = masthead_up;
	.connect_timeout = 1s;
	.first_byte_timeout = 30s;
}

backend node2 {
	.host = "127.0.0.1";
	.port = "8082";
	.probe = masthead_up;
	.connect_timeout = 1s;
	.first_byte_timeout = 30s;
}

# Who may send BAN: the Masthead nodes (their job runners).
acl purgers {
	"127.0.0.1";
	"::1";
}

sub vcl_init {
	new nodes = directors.round_robin();
	nodes.add_backend(node1);
	nodes.add_backend(node2);
}

sub vcl_recv {
	set req.backend_hint = nodes.backend();

	if (req.method == "BAN") {
		if (client.ip !~ purgers) {
			return (synth(403, "Forbidden"));
		}
		# Masthead's keys are words like home, article:12, section:3.
		# Checked strictly, since they become a regular expression.
		if (req.http.X-Purge-Keys !~ "^ *[A-Za-z0-9:_-]+( +[A-Za-z0-9:_-]+)* *$") {
			return (synth(400, "Expected X-Purge-Keys: space-separated cache keys"));
		}
		# Whole words only: "article:1" must not ban "article:12".
		if (std.ban("obj.http.Surrogate-Key ~ (^|[[:space:]])(" +
		    regsuball(regsuball(req.http.X-Purge-Keys, "^ +| +$", ""), " +", "|") +
		    ")([[:space:]]|$)")) {
			return (synth(200, "Banned"));
		}
		return (synth(400, std.ban_error()));
	}

	if (req.method != "GET" && req.method != "HEAD") {
		return (pass);
	}
	# Places that will know who is asking (later: the newsroom's desk,
	# readers' accounts) keep their cookies and are never cached.
	if (req.url ~ "^/(admin|desk|account|login|logout|api)(/|\?|$)" || req.http.Authorization) {
		return (pass);
	}
	# Every other page is the same for everyone: a cookie (analytics, a
	# consent banner) must not split the cache or reach the node.
	unset req.http.Cookie;
	return (hash);
}

sub vcl_backend_response {
	# beresp.ttl comes from Cache-Control: s-maxage wins over max-age.
	# stale-while-revalidate is how long a stale page may still be served
	# while a fresh one is fetched: Varnish's grace.
	if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
		set beresp.grace = std.duration(regsub(beresp.http.Cache-Control,
		    "^.*stale-while-revalidate=([0-9]+).*$", "\1") + "s", 10s);
	}
	# A page that sets a cookie, or says private/no-store, is not shared.
	if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(private|no-store|no-cache)") {
		set beresp.uncacheable = true;
		set beresp.ttl = 120s;
		return (deliver);
	}
	# Keep errors only briefly: a node that answered 503 recovers.
	if (beresp.status >= 500) {
		set beresp.ttl = 1s;
		set beresp.grace = 0s;
	}
	return (deliver);
}

sub vcl_deliver {
	# Surrogate-Key is for this cache; readers need not see it.
	unset resp.http.Surrogate-Key;
	if (obj.hits > 0) {
		set resp.http.X-Cache = "HIT";
	} else {
		set resp.http.X-Cache = "MISS";
	}
}
