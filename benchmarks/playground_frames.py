"""physnn playground against TensorFlow Playground, in the same real browser, in one run.

For each experiment, each app is opened in Debian's Chromium (Playwright, headless) with the
experiment in its URL hash, Play is pressed, and after a 1 s warm-up the epochs (frames) that
arrive in the page are counted for ``--seconds``; the test loss shown after the warm-up plus
that time is read from the page.  physnn's page also counts the bytes of the frames.

TF Playground is the static site built from its source (``/work/shared/anchors/tf-playground``,
or ``--tf DIR``), served from 127.0.0.1; every request to another host (its web fonts) is
blocked, as offline.  Its loss is half the mean squared error; physnn shows the mean squared
error itself, so the table prints TF's number times 2 beside physnn's.

    .venv/bin/python benchmarks/playground_frames.py [--seconds 8] [--tf DIR] [--only physnn]

Timings on a shared machine are noisy: both apps run in the same call, one after the other,
and the machine's load average is printed with the results.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import socket
import threading
import time

EXPERIMENTS = [
    # name, hash (TF Playground's keys), in TF Playground too
    ("2-4-2-1 XOR (default size)", "dataset=xor&networkShape=4,2&activation=tanh&learningRate=0.03&batchSize=10&percTrainData=50&noise=0&seed=0.5", True),
    ("2-8-8-1 XOR", "dataset=xor&networkShape=8,8&activation=tanh&learningRate=0.03&batchSize=10&percTrainData=50&noise=0&seed=0.5", True),
    ("spiral 6x8", "dataset=spiral&networkShape=8,8,8,8,8,8&activation=tanh&learningRate=0.03&batchSize=10&percTrainData=50&noise=0&seed=0.5", True),
    ("jets 8-8 (mass, tau32)", "dataset=jets&networkShape=8,8&activation=tanh&learningRate=0.03&batchSize=10&percTrainData=50&noise=0&seed=0.5", False),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_physnn() -> tuple[str, object]:
    import uvicorn

    from physnn.playground.server import MAX_MESSAGE_BYTES, create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           ws_max_size=MAX_MESSAGE_BYTES + 1024))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}/", server


def _serve_static(folder: str) -> tuple[str, object]:
    port = _free_port()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=folder)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/index.html", httpd


def _offline(route) -> None:
    if route.request.url.startswith("http://127.0.0.1"):
        route.continue_()
    else:
        route.abort()


def run_physnn(page, url: str, seconds: float) -> dict[str, float]:
    page.goto(url)
    page.wait_for_function("() => window.physnnPlayground && window.physnnPlayground.drawn > 0", timeout=30_000)
    page.get_by_test_id("play").click()
    page.wait_for_timeout(1000)
    s0 = page.evaluate("({...window.physnnPlayground})")
    t0 = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    s1 = page.evaluate("({...window.physnnPlayground})")
    dt = time.perf_counter() - t0
    loss = float(page.get_by_test_id("test-loss").inner_text())
    page.get_by_test_id("play").click()
    frames = s1["frames"] - s0["frames"]
    return {"rate": (s1["lastEpoch"] - s0["lastEpoch"]) / dt, "frames_per_s": frames / dt,
            "kB_per_frame": (s1["bytes"] - s0["bytes"]) / max(frames, 1) / 1024, "loss": loss,
            "epoch": s1["lastEpoch"]}


def run_tf(page, url: str, seconds: float) -> dict[str, float]:
    page.goto(url)
    page.wait_for_selector("#iter-number")
    epoch = lambda: int(page.inner_text("#iter-number").replace(",", ""))  # noqa: E731
    page.click("#play-pause-button")
    page.wait_for_timeout(1000)
    e0, t0 = epoch(), time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    e1, dt = epoch(), time.perf_counter() - t0
    loss = float(page.inner_text("#loss-test"))
    page.click("#play-pause-button")
    return {"rate": (e1 - e0) / dt, "loss": loss, "epoch": e1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--tf", default="/work/shared/anchors/tf-playground")
    ap.add_argument("--only", choices=["physnn", "tf"], default=None)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    physnn_url, _ = _serve_physnn()
    tf_url = _serve_static(args.tf)[0] if os.path.isdir(args.tf) and args.only != "physnn" else None
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for name, h, in_tf in EXPERIMENTS:
            for app in ("physnn", "tf"):
                if (args.only and app != args.only) or (app == "tf" and (not in_tf or tf_url is None)):
                    continue
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.route("**/*", _offline)
                if app == "physnn":
                    r = run_physnn(page, physnn_url + "#" + h, args.seconds)
                else:
                    r = run_tf(page, tf_url + "#" + h, args.seconds)
                page.close()
                rows.append((name, app, r))
                print(f"{name:28s} {app:7s} {r['rate']:6.1f} epochs/s  "
                      + (f"{r['frames_per_s']:5.1f} frames/s {r['kB_per_frame']:5.1f} kB/frame  " if app == "physnn" else " " * 35)
                      + f"test loss after {args.seconds + 1:.0f} s: "
                      + (f"{r['loss']:.4f} (MSE)" if app == "physnn" else f"{r['loss']:.4f} (x2 = {2 * r['loss']:.4f} MSE)")
                      + f"  epoch {r['epoch']}", flush=True)
        browser.close()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
