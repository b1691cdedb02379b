"""The counter in a real browser, as every counter of a store runs it: ``dealerdesk
serve`` on the store's database, Debian's chromium driven by Playwright, and the
screen read back by a terminal emulator (pyte) from the bytes the server sends the
page: what the person at the counter sees, keys typed as they type them.

Skipped where chromium or Playwright is missing, except where
``DEALERDESK_TEST_BROWSER=required`` (CI sets it), where a missing browser fails."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from store import members, points
from store.access import SYSTEM, Actor
from store.db import read_session, write_session
from store.models import Pitch, PointsEntry, Staff, Store
from store.staff import hash_pin
from tests.club_helpers import make_club, tx
from tests.factories import add_car

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("DEALERDESK_TEST_BROWSER") == "required"


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
        import pyte  # noqa: F401
    except ImportError as exc:
        return f"playwright or pyte not installed ({exc})"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM}"
    return None


MISSING = _browser_missing()
if MISSING and REQUIRED:
    raise RuntimeError(f"browser tests are required here: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

# As the machine's own probe starts chromium: no sandbox as root, no network of its own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shop(sqlite_engine):
    """A member (粤A12345, 张伟) holding 50 points: one 30-point wash, not two; a car
    whose owner is no member (粤B22222, 李四); two SAs."""
    club = make_club(sqlite_engine)
    tx(sqlite_engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    specialist = Actor(club.staff_id, "王伟", "member", club.store_id)
    tx(sqlite_engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=50, reason="开卡礼",
                                               actor=specialist))
    with write_session(sqlite_engine) as s:
        s.add(Staff(store_id=club.store_id, code="SA02", name="李娜", role="sa", pin_hash=hash_pin("2222")))
        add_car(s, s.get(Store, club.store_id), plate="粤B22222", owner="李四", phone="13922223333")
    return sqlite_engine, club


@pytest.fixture
def served(shop, tmp_path):
    """``dealerdesk serve`` on the shop's database, on a free port of 127.0.0.1."""
    engine, club = shop
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALERDESK_")}
    env["DEALERDESK_KEY_FILE"] = str(tmp_path / "pii.key")
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen([sys.executable, "-c", "from tui.cli import main; main()", "--db", str(engine.url),
                               "--system", "serve", "--port", str(port)], env=env, stdout=log, stderr=log,
                              cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if server.poll() is not None:
            raise AssertionError((tmp_path / "serve.log").read_text())
        time.sleep(0.1)
    yield engine, club, f"http://127.0.0.1:{port}/"
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


NAMED_KEYS = {"Enter", "Escape", "Tab", "Backspace", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"}


class Counter:
    """One browser tab: what it shows (the terminal's screen, rebuilt from the bytes
    the server sent it) and the keys typed into it."""

    def __init__(self, page) -> None:
        import pyte

        self.page = page
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", lambda data: self.stream.feed(data) if isinstance(data, bytes) else None)

    def _sent(self, data) -> None:
        if isinstance(data, str) and data.startswith('["resize"'):
            size = json.loads(data)[1]
            self.screen.resize(size["height"], size["width"])

    def text(self) -> str:
        """The screen's lines (pyte's own ``display`` fails on a cell a wide character
        half overwrote: such a cell reads as a space)."""
        from wcwidth import wcwidth

        lines = []
        for y in range(self.screen.lines):
            row, cells, after_wide = self.screen.buffer[y], [], False
            for x in range(self.screen.columns):
                data = row[x].data
                if after_wide:
                    after_wide = False
                    continue
                cells.append(data or " ")
                after_wide = bool(data) and wcwidth(data[0]) == 2
            lines.append("".join(cells).rstrip())
        return "\n".join(lines)

    def wait_for(self, *words: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.text()
            if all(w in shown for w in words):
                return shown
            self.page.wait_for_timeout(50)
        raise AssertionError(f"never showed {words}; the screen:\n{self.text()}")

    def keys(self, *keys: str) -> None:
        """Each key as the browser sends it: text typed, or a named key (Enter...)."""
        for key in keys:
            if key in NAMED_KEYS or re.fullmatch(r"F\d{1,2}|Control\+.", key):
                self.page.keyboard.press(key)
                if key == "Escape":
                    # A terminal reads ESC and a key right behind it (within milliseconds,
                    # as no hand types) as Alt+key: the browser's terminal sends them so.
                    self.page.wait_for_timeout(150)
            else:
                self.page.keyboard.type(key)

    def sign_in(self, code: str, pin: str, name: str) -> None:
        self.wait_for("请登录")
        self.page.click(".textual-terminal")
        self.keys(code, "Enter", pin, "Enter")
        self.wait_for(name, "车牌任意部分")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def counter(browser, url: str) -> Counter:
    page = browser.new_context(viewport={"width": 1200, "height": 760}).new_page()
    tab = Counter(page)
    page.goto(url)
    return tab


def redemptions(engine) -> list[PointsEntry]:
    with read_session(engine) as s:
        return list(s.exec(select(PointsEntry).where(PointsEntry.kind == "redeem")).all())


def balance(engine, customer_id: int) -> int:
    with read_session(engine) as s:
        return points.balance(s, customer_id=customer_id)


def test_sign_in_find_a_car_pitch_and_redeem_in_the_browser(served, browser):
    engine, club, url = served
    tab = counter(browser, url)
    tab.sign_in("SA01", "1111", "王伟")
    tab.keys("22222")
    tab.wait_for("粤B22222", "李四")
    tab.keys("Enter")
    tab.wait_for("粤B22222", "非会员")
    tab.keys("p", "2", "Enter")  # the membership pitch: considering, its default follow-up
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with read_session(engine) as s:
            pitched = s.exec(select(Pitch)).all()
        if pitched:
            break
        time.sleep(0.1)
    assert [p.outcome for p in pitched] == ["considering"]
    tab.wait_for("考虑")
    tab.keys("Escape", "Escape", "12345")
    tab.wait_for("粤A12345", "张伟")
    tab.keys("Enter")
    tab.wait_for("粤A12345", "积分 50")
    tab.keys("j", "Enter", "Enter")  # points, the first item, confirm
    tab.wait_for("积分 20")
    assert [r.points for r in redemptions(engine)] == [-30]
    assert balance(engine, club.customer_id) == 20


def test_two_counters_redeem_for_the_same_member_one_wins(served, browser):
    """SA01 and SA02 at two browsers, both at the confirmation of a 30-point wash for
    a member holding 50: the first to confirm redeems, the second is refused with
    the new balance, and the ledger holds one redemption."""
    engine, club, url = served
    first, second = counter(browser, url), counter(browser, url)
    first.sign_in("SA01", "1111", "王伟")
    second.sign_in("SA02", "2222", "李娜")
    for tab in (first, second):
        tab.keys("12345")
        tab.wait_for("粤A12345")
        tab.keys("Enter")
        tab.wait_for("积分 50")
        tab.keys("j", "Enter")
        tab.wait_for("兑换后")
    first.keys("Enter")
    first.wait_for("积分 20")
    second.keys("Enter")
    second.wait_for("积分不足", "20")
    assert [r.points for r in redemptions(engine)] == [-30]
    assert balance(engine, club.customer_id) == 20


def test_a_tab_closed_mid_form_saves_nothing_half_done(served, browser):
    engine, club, url = served
    tab = counter(browser, url)
    tab.sign_in("SA01", "1111", "王伟")
    tab.keys("12345")
    tab.wait_for("粤A12345")
    tab.keys("Enter")
    tab.wait_for("积分 50")
    tab.keys("j", "Enter", "Enter")  # saved: one wash
    tab.wait_for("积分 20")
    tab.keys("Escape", "p")  # the pitch form open, nothing chosen
    tab.wait_for("推荐")
    tab.page.close()
    time.sleep(1)
    with read_session(engine) as s:
        assert s.exec(select(Pitch)).all() == []
    assert [r.points for r in redemptions(engine)] == [-30] and balance(engine, club.customer_id) == 20
    # The next tab starts at the sign-in, not in the closed one's session.
    again = counter(browser, url)
    again.wait_for("请登录")


def test_the_server_listens_on_loopback_and_the_page_holds_no_database_url(served, tmp_path):
    from urllib.request import urlopen

    engine, _club, url = served
    page = urlopen(url, timeout=10).read().decode()
    assert "textual-terminal" in page
    assert str(engine.url) not in page and "sqlite" not in page and "DEALERDESK" not in page
    assert "counters open http://127.0.0.1:" in (tmp_path / "serve.log").read_text()


def test_a_tab_starts_as_no_one_on_the_servers_database(monkeypatch):
    from tui.cli.serve_cmds import prepare_tab_environment

    environ = {"DEALERDESK_STAFF": "M01", "DEALERDESK_PIN": "8888", "PATH": "/usr/bin"}
    prepare_tab_environment(environ, db_url="postgresql+psycopg://dd:secret@db/store", store_code="GZ01",
                            today=None)
    assert environ == {"PATH": "/usr/bin", "DEALERDESK_DB": "postgresql+psycopg://dd:secret@db/store",
                       "DEALERDESK_STORE": "GZ01"}
