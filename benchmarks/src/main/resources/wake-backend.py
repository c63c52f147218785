"""The backend WakePathBenchmark wakes: measures its own start-to-ready and reports it per response.

It sleeps START_DELAY_MS (a model load), then listens on 127.0.0.1:$PORT and answers every GET
with 200 and these headers (microseconds):
  X-Exec-To-Ready-Us   the start stamp WAKE_EXEC_WALL (bash's $EPOCHREALTIME just before it execs
                       the interpreter; microseconds) -> listening: the backend's own start-to-ready
  X-Exec-Wall-Us       that stamp (epoch microseconds)
  X-Start-To-Ready-Us  process start (the kernel's start time of this process, i.e. the fork by
                       the orchestrator, in clock ticks: 10 ms granularity, rounded down) -> listening
  X-Main-To-Ready-Us   first line of this script -> listening (precise; excludes interpreter start)
  X-Main-Wall-Us       wall-clock instant of the first line of this script (epoch microseconds)
  X-Ready-Wall-Us      wall-clock instant at which it was listening (epoch microseconds)
  X-Handled-Wall-Us    wall-clock instant at which this request's handler began (epoch microseconds)
  X-Pid                its process id
"Ready" is the moment the listening socket exists (bind + listen done): from then on a connection
is accepted, so a TCP readiness probe can pass.
"""
import time

MAIN_BOOT = time.clock_gettime(time.CLOCK_BOOTTIME)
MAIN_WALL = time.time()

import http.server  # noqa: E402
import os  # noqa: E402


def process_start_boottime():
    """The kernel's start time of this process, in seconds since boot (field 22 of /proc/self/stat)."""
    with open("/proc/self/stat") as f:
        stat = f.read()
    # The command name (field 2) may contain spaces; fields after the last ')' start at field 3.
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[22 - 3]) / os.sysconf("SC_CLK_TCK")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b"hello from the wake backend\n"

    def do_GET(self):
        handled = time.time()
        self.send_response(200)
        self.send_header("X-Handled-Wall-Us", str(round(handled * 1e6)))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(self.body)))
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format, *args):
        pass


def exec_wall_us():
    """WAKE_EXEC_WALL, bash's $EPOCHREALTIME ("seconds.micros", the locale's decimal point), in epoch microseconds."""
    value = os.environ.get("WAKE_EXEC_WALL")
    if not value:
        raise SystemExit("wake-backend.py: WAKE_EXEC_WALL is not set; run it as bash -c 'WAKE_EXEC_WALL=$EPOCHREALTIME exec ...'")
    seconds, _, micros = value.replace(",", ".").partition(".")
    return int(seconds) * 1_000_000 + int(micros.ljust(6, "0")[:6])


port = int(os.environ["PORT"])
exec_wall = exec_wall_us()
delay = int(os.environ.get("START_DELAY_MS", "1000")) / 1000
started = process_start_boottime()
time.sleep(delay)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
ready_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
ready_wall = round((MAIN_WALL + (ready_boot - MAIN_BOOT)) * 1e6)
HEADERS = {
    "X-Exec-To-Ready-Us": str(ready_wall - exec_wall),
    "X-Exec-Wall-Us": str(exec_wall),
    "X-Start-To-Ready-Us": str(round((ready_boot - started) * 1e6)),
    "X-Main-To-Ready-Us": str(round((ready_boot - MAIN_BOOT) * 1e6)),
    "X-Main-Wall-Us": str(round(MAIN_WALL * 1e6)),
    "X-Ready-Wall-Us": str(ready_wall),
    "X-Pid": str(os.getpid()),
}
server.daemon_threads = True
server.serve_forever()
