#!/usr/bin/python3
"""The newsletter benchmark (issue 10): a newsletter to N subscribers
(BENCH_NL_SUBSCRIBERS, default 100,000) through a local SMTP sink, sent by
`masthead serve`'s job runner on SQLite. Reports messages per second (from
`newsletter send` to the status `done`) and the server's memory (peak
VmHWM and the VmRSS samples), and appends them to BENCHMARKS.md.

The sink is a minimal SMTP responder written here on asyncio (250 to every
command, 354 to DATA, counts the messages): aiosmtpd, which the tests use,
parses every message and would be the bottleneck (about 8 ms a message).

  bench/newsletter.py PATH/TO/masthead     (`make bench` runs it)

Environment: BENCH_NL_SUBSCRIBERS, BENCH_NL_SENDERS (jobs workers and
[newsletter] senders, default 2), BENCH_REPORT (default BENCHMARKS.md; "-"
for none), BENCH_KEEP=1 keeps the temp folder.
"""
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(os.environ.get("BENCH_NL_SUBSCRIBERS", "100000"))
SENDERS = int(os.environ.get("BENCH_NL_SENDERS", "2"))
REPORT = os.environ.get("BENCH_REPORT", os.path.join(ROOT, "BENCHMARKS.md"))


class SinkStats:
    messages = 0
    connections = 0


async def smtp_session(reader, writer):
    SinkStats.connections += 1
    writer.write(b"220 sink ESMTP\r\n")
    data = False
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            if data:
                if line == b".\r\n":
                    data = False
                    SinkStats.messages += 1
                    writer.write(b"250 2.0.0 queued\r\n")
                continue
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif cmd == b"DATA":
                data = True
                writer.write(b"354 go ahead\r\n")
            elif cmd == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
    finally:
        writer.close()


def start_sink():
    loop = asyncio.new_event_loop()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    def run():
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(smtp_session, sock=sock))
        loop.run_forever()
        server.close()
    threading.Thread(target=run, daemon=True).start()
    return port


def ini_set(path, section, key, value):
    lines = open(path).read().splitlines()
    cur = None
    for i, l in enumerate(lines):
        s = l.strip()
        if s.startswith("["):
            cur = s[1:-1]
        elif cur == section and s.split("=", 1)[0].strip() == key:
            lines[i] = f"{key} = {value}"
            break
    else:
        raise SystemExit(f"no [{section}] {key} in {path}")
    open(path, "w").write("\n".join(lines) + "\n")


def mem_kib(pid, field):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: bench/newsletter.py PATH/TO/masthead")
    binary = os.path.realpath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mh-bench-nl-")
    site = os.path.join(tmp, "site")
    srv = None
    try:
        subprocess.run([binary, "demo", "--articles", "20", site], check=True, capture_output=True)
        csv_path = os.path.join(tmp, "subs.csv")
        with open(csv_path, "w") as f:
            f.write("email,status\n")
            for i in range(N):
                f.write(f"reader{i}@example.org,confirmed\n")
        t0 = time.time()
        subprocess.run([binary, "newsletter", "subscribers", "import", csv_path, "--site", site], check=True,
                       capture_output=True)
        import_s = time.time() - t0
        port = start_sink()
        ini = os.path.join(site, "site.ini")
        ini_set(ini, "mail", "smtp_url", f"smtp://127.0.0.1:{port}")
        ini_set(ini, "newsletter", "rate", "100000")
        ini_set(ini, "newsletter", "senders", str(SENDERS))
        ini_set(ini, "jobs", "workers", str(SENDERS))
        ini_set(ini, "server", "access_log", "false")
        srv = subprocess.Popen([binary, "serve", "--site", site, "--listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        srv.stdout.readline()
        time.sleep(1)
        rss_idle = mem_kib(srv.pid, "VmRSS")
        slug = subprocess.run([binary, "article", "list", "--status", "published", "--site", site], capture_output=True, text=True,
                              check=True).stdout.split()[3]
        t0 = time.time()
        out = subprocess.run([binary, "newsletter", "send", slug, "--site", site], capture_output=True, text=True,
                             check=True).stdout
        nl_id = re.search(r"newsletter (\d+) queued", out).group(1)
        rss = []
        while True:
            time.sleep(0.5)
            rss.append(mem_kib(srv.pid, "VmRSS"))
            st = subprocess.run([binary, "newsletter", "status", nl_id, "--site", site], capture_output=True,
                                text=True).stdout
            if "state: done" in st:
                break
            if time.time() - t0 > 4 * 3600:
                raise SystemExit("bench/newsletter: not done within 4 hours")
        wall = time.time() - t0
        peak = mem_kib(srv.pid, "VmHWM")
        sent = int(re.search(r"^sent: (\d+)$", st, re.M).group(1))
        rss = [r for r in rss if r]
        lines = [
            "",
            f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — newsletter (bench/newsletter.py)",
            "",
            f"- Machine: {os.cpu_count()} CPUs, shared with other work (several engineers' builds and tests ran "
            f"at the same time: the numbers are a floor, not a measurement of the code alone); load average "
            f"before: {open('/proc/loadavg').read().split()[0]}.",
            f"- A newsletter to {N:,} confirmed subscribers (imported from CSV in {import_s:.1f} s) on SQLite, "
            f"sent by `masthead serve`'s job runner ({SENDERS} workers, [newsletter] senders = {SENDERS}, "
            f"rate unlimited) to a minimal asyncio SMTP sink on 127.0.0.1 (a sending job keeps its "
            f"connection for its run of up to 10 s: {SinkStats.connections} connections for the whole send).",
            "",
            "| subscribers | sent | wall (send to `done`) | messages/s | server RSS idle | RSS while sending (median / max) | peak (VmHWM) |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| {N:,} | {sent:,} | {wall:.1f} s | {sent / wall:.0f} | {rss_idle / 1024:.1f} MiB | "
            f"{sorted(rss)[len(rss) // 2] / 1024:.1f} / {max(rss) / 1024:.1f} MiB | {peak / 1024:.1f} MiB |",
        ]
        text = "\n".join(lines) + "\n"
        print(text)
        if REPORT != "-":
            with open(REPORT, "a") as f:
                f.write(text)
    finally:
        if srv is not None:
            srv.terminate()
            srv.wait(timeout=30)
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
