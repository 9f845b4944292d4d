"""Three real browsers (Playwright driving Debian's chromium): a facilitator and two
participants play the Cloudflare drill to its scorecard. An inject reaches a participant
live, a participant's action shows on the facilitator's console, a participant cannot open
the facilitator page, and user text is shown as text, never run as HTML.

Skips with a clear message when chromium is missing, except under CI=true."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from browser_support import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, SERVER_ENV, WARROOM, free_port

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but chromium is missing: .ci/run must apt-get install -y chromium")
    pytest.skip("browser tests need Debian's chromium: apt-get install -y chromium", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [*WARROOM, "drill", "start", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--web", "--speed", "60",
         "--port", str(port), "--store", str(tmp_path / "d.db")],
        cwd=tmp_path, env=SERVER_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    links = {}
    while True:
        line = process.stdout.readline()
        assert line, "no links printed"
        match = re.search(r"(http://\S+/(play|facilitate|evaluate)/\S+)", line)
        if match:
            role = re.search(r"\((\w+)\)", line)
            links[role[1] if role and match[2] == "play" else match[2]] = match[1]
        if line.startswith("Send each person"):
            break
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            httpx.get(base, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield links
    process.send_signal(signal.SIGTERM)
    process.wait(10)


def test_three_browsers_play_a_drill_to_its_scorecard(server):
    links = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        pages = {}
        for who in ("facilitate", "technical_lead", "incident_manager"):
            context = browser.new_context()
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(links[who])
            pages[who] = page
        fac, tl, im = pages["facilitate"], pages["technical_lead"], pages["incident_manager"]
        playwright.expect(fac.locator("#clock-state")).to_have_text("created")

        # A participant cannot open the facilitator page with their own link.
        token = links["technical_lead"].rsplit("/", 1)[1]
        denied = tl.request.get(links["facilitate"].rsplit("/", 2)[0] + f"/facilitate/{token}")
        assert denied.status == 403

        fac.click("button[data-control=start]")
        playwright.expect(fac.locator("#clock-state")).to_contain_text("running")
        # The page at 3 scenario minutes reaches the technical lead live (3 wall seconds at 60x).
        playwright.expect(tl.locator("#inbox")).to_contain_text("PAGE: external WAF probe failing", timeout=15000)
        assert re.match(r"\(\d+\) ", tl.title()), tl.title()  # unread count in the tab title
        playwright.expect(im.locator("#inbox")).not_to_contain_text("PAGE: external WAF probe failing")

        tl.select_option("#action-select", "acknowledge")
        tl.click("#action-form button")
        playwright.expect(fac.locator("#timeline")).to_contain_text("technical lead (Sasha (SRE on duty)): acknowledge")

        im.select_option("#action-select", "declare")
        im.click("#action-form button")
        im.select_option("#action-select", "update")
        im.select_option("#action-fields select[name=audience]", "public")
        im.fill("#action-fields textarea[name=text]", "<img src=x onerror=alert(1)> we are investigating")
        im.click("#action-form button")
        # User text shows as text on every page, never as markup.
        playwright.expect(fac.locator("#timeline")).to_contain_text("<img src=x onerror=alert(1)> we are investigating")
        assert fac.locator("#timeline img").count() == 0

        tl.select_option("#action-select", "identify")
        tl.select_option("#action-fields select[name=cause]", "waf_regex")
        tl.click("#action-form button")
        tl.select_option("#action-select", "apply_workaround")
        tl.select_option("#action-fields select[name=workaround]", "kill_waf_globally")
        tl.click("#action-form button")
        # The world reacts: two scenario minutes later the dashboard shows traffic back.
        playwright.expect(im.locator("#timeline")).to_contain_text("service restored", timeout=15000)

        fac.once("dialog", lambda dialog: dialog.accept())
        fac.click("button[data-control=end]")
        playwright.expect(fac.locator("#score-headline")).to_contain_text("Score", timeout=30000)
        playwright.expect(fac.locator("#scorecard")).to_contain_text("Time to restore (MTTR)")
        fac.screenshot(path=str(ARTIFACTS / "facilitator-scorecard.png"), full_page=True)
        tl.screenshot(path=str(ARTIFACTS / "participant.png"), full_page=True)
        browser.close()
    assert not [e for e in errors if "EventSource" not in e], errors


def test_a_browser_reconnects_after_the_server_is_killed_and_misses_nothing(tmp_path):
    port = free_port()
    store = tmp_path / "d.db"
    base = f"http://127.0.0.1:{port}"

    def serve(args):
        return subprocess.Popen([*WARROOM, *args, "--port", str(port), "--store", str(store)], cwd=tmp_path, env=SERVER_ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    first = serve(["drill", "start", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--web", "--speed", "1"])
    links = {}
    while True:
        line = first.stdout.readline()
        match = re.search(r"(http://\S+/(play|facilitate)/(\S+))", line)
        if match:
            role = re.search(r"\((\w+)\)", line)
            links[role[1] if role and match[2] == "play" else match[2]] = match[1]
        if line.startswith("Send each person"):
            break

    def up():
        for _ in range(200):
            try:
                httpx.get(base, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)

    up()
    fac_token = links["facilitate"].rsplit("/", 1)[1]
    httpx.post(f"{base}/api/{fac_token}/control", json={"name": "start"})
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.goto(links["technical_lead"])
        httpx.post(f"{base}/api/{fac_token}/control", json={"name": "next"})
        playwright.expect(page.locator("#inbox")).to_contain_text("PAGE: external WAF probe failing")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        playwright.expect(page.locator("#connection")).to_be_visible(timeout=10000)
        second = serve(["drill", "serve"])
        try:
            up()
            playwright.expect(page.locator("#connection")).to_be_hidden(timeout=15000)
            httpx.post(f"{base}/api/{fac_token}/inject", json={"subject": "After the restart", "to": ["technical_lead"]})
            playwright.expect(page.locator("#inbox")).to_contain_text("After the restart", timeout=10000)
            assert page.locator("#inbox li", has_text="PAGE: external WAF probe failing").count() == 1
            assert page.locator("#inbox li", has_text="After the restart").count() == 1
        finally:
            browser.close()
            second.send_signal(signal.SIGTERM)
            second.wait(10)
