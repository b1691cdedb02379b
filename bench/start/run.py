"""How fast dealerdesk starts: the counter to its sign-in screen, and a scripted lookup.

Two measurements, each beside its floor, all taken in one run with the runs of the
contenders interleaved (A B A B ...), so a busy neighbour slows them alike:

(a) ``dealerdesk`` to the sign-in screen painted, against a minimal Textual app
    (a Header and one line of text) started the same way. Each is a fresh
    ``python -c`` subprocess on a pseudo-terminal (120x40) whose output is read as
    it comes; the clock stops when the screen's text reaches the terminal: for
    dealerdesk the sign-in title (请登录 / Sign in), for the minimal app its line.
    Textual writes a screen only when it paints it, so the text arriving is the
    first paint, as a person at the terminal would see it. Then the process is
    killed. Nothing in the app is changed for the benchmark.
(b) ``dealerdesk lookup A1 --format json`` wall time (subprocess.run), against
    ``python -c pass`` (the interpreter's own start) and a bare ``sqlite3`` script
    running the same kind of search (searchterm prefix range joined to the
    vehicle, printed as JSON): the floor no Python CLI gets under.

Both use an existing database: the demo store (2,000 vehicles), made once in a
temporary directory (or ``--db`` for another SQLite file). ``--tree DIR`` (more than
once) measures other checkouts of dealerdesk in the same run, e.g. the code before
a change: ``git worktree add --detach /tmp/before <commit>``.

    python bench/start/run.py                      # this checkout, 15 runs each
    python bench/start/run.py --runs 30 --tree /tmp/before

Reports median and p95 (nearest rank) in milliseconds, and the machine and its load.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("minimal app ready")

Minimal().run()
"""
MINIMAL_MARKER = "minimal app ready"
SIGNIN_MARKERS = ("请登录", "Sign in")
CLI = "import sys; from tui.cli import main; main(sys.argv[1:])"

BARE_SQLITE = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
q = "P" + sys.argv[2].upper()
ids = [r[0] for r in conn.execute(
    "SELECT vehicle_id FROM searchterm WHERE term >= ? AND term < ? LIMIT 50", (q, q + "\\uffff"))]
marks = ",".join("?" * len(ids))
rows = conn.execute(
    "SELECT v.id, v.plate, v.vin, v.model, c.name, c.phone, "
    "(SELECT count(*) FROM visit WHERE vehicle_id = v.id), (SELECT max(date_in) FROM visit WHERE vehicle_id = v.id) "
    f"FROM vehicle v LEFT JOIN customer c ON c.id = v.customer_id WHERE v.id IN ({marks})", ids).fetchall()
print(json.dumps(rows, ensure_ascii=False, indent=2))
"""


def env_for(tree: Path, home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(tree), DEALERDESK_HOME=home, TERM="xterm-256color", COLORTERM="truecolor",
               LANG="C.UTF-8", PYTHONDONTWRITEBYTECODE="1")
    for key in ("DEALERDESK_DB", "DEALERDESK_STAFF", "DEALERDESK_STORE", "DEALERDESK_TODAY", "TEXTUAL"):
        env.pop(key, None)
    return env


def time_to_text(argv: list[str], markers: tuple[str, ...], env: dict[str, str], *, cwd: str,
                 timeout: float = 20.0) -> float:
    """Seconds from spawning ``argv`` on a fresh pty until one of ``markers`` is
    written to it; the process is killed then."""
    wanted = [m.encode() for m in markers]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    seen = b""
    try:
        while True:
            left = timeout - (time.perf_counter() - started)
            if left <= 0:
                raise TimeoutError(f"{argv[-1]!r}: no {markers} within {timeout} s; the screen read: {seen[-400:]!r}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{argv!r} ended before painting {markers}: {seen[-400:]!r}")
            seen += chunk
            if any(w in seen for w in wanted):
                return time.perf_counter() - started
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        os.close(master)


def wall(argv: list[str], env: dict[str, str], *, cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(p95(ms), 1),
            "min_ms": round(min(ms), 1), "runs": len(ms)}


def machine() -> dict[str, str]:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpus": str(os.cpu_count()), "cpu": model or platform.processor(),
            "python": platform.python_version(), "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def make_demo(tree: Path, home: str) -> str:
    path = Path(home) / "start-bench.sqlite"
    if not path.exists():
        subprocess.run([sys.executable, "-c", CLI, "--db", f"sqlite:///{path}", "demo"],
                       env=env_for(tree, home), cwd=home, check=True, stdout=subprocess.DEVNULL)
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--db", help="an existing SQLite file (default: a demo store made in a temporary directory)")
    ap.add_argument("--tree", action="append", default=[], type=Path,
                    help="another dealerdesk checkout to measure beside this one")
    ap.add_argument("--query", default="A1")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = ap.parse_args()

    trees = [HERE] + [t.resolve() for t in args.tree]
    names = {t: ("this checkout" if t == HERE else str(t)) for t in trees}
    home = tempfile.mkdtemp(prefix="dd-start-")
    db = args.db or make_demo(HERE, home)
    url = f"sqlite:///{db}"
    for tree in trees:  # open once: a tree with an older schema upgrades nothing here, it must match
        subprocess.run([sys.executable, "-c", CLI, "--db", url, "lookup", args.query, "--format", "json"],
                       env=env_for(tree, home), cwd=home, check=True, stdout=subprocess.DEVNULL)

    minimal_env = env_for(HERE, home)
    contenders: dict[str, tuple] = {"minimal Textual app": ("tui", [sys.executable, "-c", MINIMAL_APP],
                                                            (MINIMAL_MARKER,), minimal_env)}
    for tree in trees:
        contenders[f"dealerdesk ({names[tree]})"] = ("tui", [sys.executable, "-c", CLI, "--db", url],
                                                     SIGNIN_MARKERS, env_for(tree, home))
    contenders["python -c pass"] = ("wall", [sys.executable, "-c", "pass"], None, minimal_env)
    contenders["bare sqlite3 query"] = ("wall", [sys.executable, "-c", BARE_SQLITE, db, args.query], None, minimal_env)
    for tree in trees:
        contenders[f"lookup --format json ({names[tree]})"] = (
            "wall", [sys.executable, "-c", CLI, "--db", url, "lookup", args.query, "--format", "json"], None,
            env_for(tree, home))

    times: dict[str, list[float]] = {name: [] for name in contenders}
    for name, (kind, argv, markers, env) in contenders.items():  # one warm-up each (the page cache)
        time_to_text(argv, markers, env, cwd=home) if kind == "tui" else wall(argv, env, cwd=home)
    for _ in range(args.runs):
        for name, (kind, argv, markers, env) in contenders.items():
            t = time_to_text(argv, markers, env, cwd=home) if kind == "tui" else wall(argv, env, cwd=home)
            times[name].append(t)

    results = {name: summary(v) for name, v in times.items()}
    info = machine()
    print(f"dealerdesk start, {args.runs} runs each, {time.strftime('%Y-%m-%d %H:%M')}; "
          f"{info['cpus']} x {info['cpu']}, Python {info['python']}, load {info['load']}")
    print(f"{'':44} {'median ms':>10} {'p95 ms':>8} {'min ms':>8}")
    for name, r in results.items():
        print(f"{name:44} {r['median_ms']:>10} {r['p95_ms']:>8} {r['min_ms']:>8}")
    minimal = results["minimal Textual app"]["median_ms"]
    for tree in trees:
        r = results[f"dealerdesk ({names[tree]})"]["median_ms"]
        print(f"sign-in painted / minimal app ({names[tree]}): {r / minimal:.2f}x")
    if args.json:
        print(json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
