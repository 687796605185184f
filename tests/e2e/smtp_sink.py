"""A real SMTP server for the tests and the benchmark: Debian's
python3-aiosmtpd on localhost, in a thread of the test's process, with a
handler that keeps every message it takes and can answer chosen
recipients with a 4xx (a number of times, then accept) or a 5xx.

As a script (`python3 smtp_sink.py PORT`) it only counts messages and
prints the count on SIGTERM: the benchmark's sink."""
import email
import email.policy
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, keep=True):
        self.lock = threading.Lock()
        self.messages = []   # (recipients, email.message.EmailMessage)
        self.count = 0
        self.keep = keep
        self.temporary = {}  # address -> how many more times to answer 451
        self.permanent = set()  # addresses answered 550
        self.refused = []    # (address, code) of every refusal

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        a = address.lower()
        with self.lock:
            if a in self.permanent:
                self.refused.append((a, 550))
                return "550 5.1.1 No such user here"
            left = self.temporary.get(a, 0)
            if left > 0:
                self.temporary[a] = left - 1
                self.refused.append((a, 451))
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            if self.keep:
                msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=email.policy.default)
                self.messages.append(([r.lower() for r in envelope.rcpt_tos], msg))
        return "250 2.0.0 Message accepted"

    def to(self, address):
        """Every message taken for address."""
        with self.lock:
            return [m for rcpts, m in self.messages if address.lower() in rcpts]

    def reset(self):
        with self.lock:
            self.messages = []
            self.count = 0
            self.refused = []


class Sink:
    """start() on a free port; .port, .rec; stop()."""
    def __init__(self, keep=True):
        self.rec = Recorder(keep)
        self.controller = None
        self.port = None

    def start(self, port):
        self.port = port
        self.controller = Controller(self.rec, hostname="127.0.0.1", port=port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port


if __name__ == "__main__":
    s = Sink(keep=False).start(int(sys.argv[1]))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    print("ready", flush=True)
    done.wait()
    s.stop()
    print(s.rec.count, flush=True)
