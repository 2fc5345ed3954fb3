"""Fixtures for the real-browser tests: a JupyterLab server on a temporary copy of a
notebook, and headless Chromium driven by Playwright. `make browser-test` runs them."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "browser-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def skip_loudly(reason):
    banner = "#" * 78
    print(f"\n{banner}\n## BROWSER TEST SKIPPED: {reason}\n{banner}\n", file=sys.stderr, flush=True)
    if os.environ.get("CI"):  # CI must run this test, never skip it
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        skip_loudly(f"no Chromium at {CHROMIUM}: run `bash scripts/ensure_chromium.sh` as root "
                    "(apt-get install chromium). CI must have it.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_loudly("the playwright Python package is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(server, url, log, name, seconds):
    """Poll url until it answers 200; fail with the end of log if the server exits or is late."""
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start in {seconds} s: {log.read_text()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab on a temporary folder holding a copy of notebooks/00_welcome.ipynb.

    Yields (base URL, token, folder). attnlib is installed editable, so the kernel finds
    it and its data; the repository's notebook is never touched. The server is killed at
    the end whatever happens.
    """
    folder = Path(tempfile.mkdtemp(prefix="attnlib-lab-"))
    served = folder / "notebooks"  # what Lab shows; its settings and log stay outside
    served.mkdir()
    shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", served / "00_welcome.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).parent / "jupyter"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(folder / ".config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / ".workspaces"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    log = open(folder / "lab.log", "wb")
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={served}", "--ServerApp.port_retries=0",
         f"--LabApp.user_settings_dir={folder / '.settings'}",
         f"--LabApp.workspaces_dir={folder / '.workspaces'}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=served, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, f"{base}/api/status?token={token}", folder / "lab.log", "JupyterLab", 90)
        yield base, token, served
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()
        if ARTIFACTS.exists():
            shutil.copy(folder / "lab.log", ARTIFACTS / "lab.log")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def live_slides():
    """`make live-slides` on notebooks/00_welcome.ipynb: Voila serving a copy as reveal.js
    slides, from a temporary folder. Yields the base URL; Voila is stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="attnlib-live-"))
    port = free_port()
    log = open(folder / "voila.log", "wb")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "live_slides.py"), str(ROOT / "notebooks" / "00_welcome.ipynb"),
         f"--port={port}", f"--out={folder / 'live'}", "--no-browser"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    base = f"http://127.0.0.1:{port}"
    try:
        # a file Voila serves without running the notebook
        wait_until_up(server, f"{base}/voila/files/_assets/jquery.js", folder / "voila.log", "Voila", 120)
        yield base
    finally:
        os.killpg(server.pid, 15)  # the launcher and the Voila server it started
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=15)
        log.close()
        if ARTIFACTS.exists():
            shutil.copy(folder / "voila.log", ARTIFACTS / "voila.log")
        shutil.rmtree(folder, ignore_errors=True)
