"""The playground in a real browser: Debian's Chromium driven by Playwright (pytest-playwright).

Playwright's own browser download cannot reach the internet here, so the tests launch
``/usr/bin/chromium`` (``apt-get install chromium``; ``scripts/test.sh`` installs it when it
can).  Where it is missing they skip and say so.  Every wait is on a condition in the page,
never a fixed sleep.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

pytest.importorskip("playwright", reason="the browser tests need playwright: pip install 'physnn[test]'")

CHROMIUM = os.environ.get("PHYSNN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, pointed at Debian's Chromium."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; "
                    "scripts/test.sh does it when run as root): the playground's browser tests skip")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


@pytest.fixture(scope="module")
def server_url():
    """A real uvicorn server of the playground on a free local port, for this module's tests."""
    import torch
    import uvicorn

    from physnn.playground.server import MAX_MESSAGE_BYTES, create_app

    threads = torch.get_num_threads()  # the app sets one torch thread for its sessions
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           ws_max_size=MAX_MESSAGE_BYTES + 1024))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the playground's server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)
    torch.set_num_threads(threads)


def _epoch(page) -> int:
    return int(page.get_by_test_id("epoch").inner_text().replace(",", ""))


def _loss(page, which: str) -> float:
    return float(page.get_by_test_id(which).inner_text())


def _open(page, url: str) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_function("() => window.physnnPlayground && window.physnnPlayground.drawn > 0")


def test_tf_playground_link_trains_xor(page, server_url):
    _open(page, server_url + "#dataset=xor&networkShape=8,8&activation=tanh&learningRate=0.03&seed=0.5")
    loss0 = _loss(page, "test-loss")
    assert "dataset=xor" in page.url and "networkShape=8,8" in page.url
    assert page.get_by_test_id("dataset-xor").get_attribute("class") == "selected"
    assert page.get_by_test_id("notes").is_hidden()
    page.get_by_test_id("play").click()
    page.wait_for_function("() => window.physnnPlayground.lastEpoch >= 25")
    page.wait_for_function(f"() => parseFloat(document.querySelector('[data-testid=test-loss]').textContent) < {loss0 / 2}")
    page.get_by_test_id("play").click()  # pause
    page.wait_for_function("() => document.querySelector('[data-testid=play]').dataset.running === 'false'")
    assert _epoch(page) >= 25
    # the heat map is drawn: both colours of the scale appear on the canvas
    colours = page.evaluate("""() => {
        const c = document.querySelector('[data-testid=heatmap]'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let blue = 0, orange = 0;
        for (let i = 0; i < d.length; i += 4) { if (d[i + 2] > d[i] + 60) blue++; else if (d[i] > d[i + 2] + 60) orange++; }
        return [blue, orange, d.length / 4];
    }""")
    assert colours[0] > 0.1 * colours[2] and colours[1] > 0.1 * colours[2]
    # the loss curve answers a hover with the epoch and the losses
    chart = page.get_by_test_id("loss-chart")
    chart.hover(position={"x": 150, "y": 30})
    assert "epoch" in page.get_by_test_id("loss-tooltip").inner_text()


def test_bad_link_values_show_a_note(page, server_url):
    _open(page, server_url + "#activation=swish&networkShape=3&seed=1")
    note = page.get_by_test_id("notes")
    note.wait_for(state="visible")
    assert "activation='swish'" in note.inner_text()
    assert "activation=tanh" in page.url


def test_upload_a_csv_and_pick_the_label(page, server_url):
    _open(page, server_url + "#seed=1")
    rows = ["x1,x2,energy,label"] + [f"{a},{b},{a * b * 0.1},{int(a * a + b * b < 9)}"
                                       for a in range(-5, 6) for b in range(-5, 6)]
    page.get_by_test_id("upload").set_input_files(files=[{"name": "mine.csv", "mimeType": "text/csv",
                                                          "buffer": "\n".join(rows).encode()}])
    page.wait_for_function("() => window.physnnPlayground.points === 121")
    assert page.get_by_test_id("col-label").input_value() == "label"
    assert page.get_by_test_id("dataset-custom").get_attribute("class") == "selected"
    page.get_by_test_id("step").click()
    page.wait_for_function("() => window.physnnPlayground.lastEpoch >= 1")
    page.get_by_test_id("confusion").wait_for()
    # a bad file: a message in the page, and the data stay
    page.get_by_test_id("upload").set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv",
                                                          "buffer": b"a,b,c\n1,2,3\n"}])
    err = page.get_by_test_id("error")
    err.wait_for(state="visible")
    assert "bad.csv" in err.inner_text() and "at least 10" in err.inner_text()
    assert page.evaluate("window.physnnPlayground.points") == 121
    # class names from the file are shown as text, never run as markup or code
    evil = '<img src=x onerror="window.pwned=1">'
    rows = ["x1,x2,label"] + [f"{a},{b},{evil if a > 0 else '<b>bkg</b>'}" for a in range(-5, 6) for b in range(-5, 6)]
    page.get_by_test_id("upload").set_input_files(files=[{"name": "evil.csv", "mimeType": "text/csv",
                                                          "buffer": "\n".join(rows).encode()}])
    page.wait_for_function("() => document.querySelector('[data-testid=confusion]') && "
                           "document.querySelector('[data-testid=confusion]').textContent.includes('onerror')")
    assert "<b>bkg</b>" in page.get_by_test_id("confusion").inner_text()
    assert page.evaluate("window.pwned") is None


def test_click_adds_points_and_export_downloads(page, server_url):
    _open(page, server_url + "#dataset=gauss&seed=1")
    n0 = page.evaluate("window.physnnPlayground.points")
    box = page.get_by_test_id("heatmap").bounding_box()
    page.get_by_test_id("add-class").select_option("1")
    page.mouse.click(box["x"] + 0.2 * box["width"], box["y"] + 0.2 * box["height"])
    page.wait_for_function(f"() => window.physnnPlayground.points === {n0 + 1}")
    page.mouse.click(box["x"] + 0.7 * box["width"], box["y"] + 0.3 * box["height"])
    page.wait_for_function(f"() => window.physnnPlayground.points === {n0 + 2}")
    assert "dataset=custom" in page.url
    with page.expect_download() as dl:
        page.get_by_test_id("export").click()
    assert dl.value.suggested_filename.startswith("physnn-playground-custom") and dl.value.suggested_filename.endswith(".zip")
