#!/usr/bin/env bash
# Make sure a Chromium exists for `make browser-test` (JupyterLab in a headless browser).
# Installs Debian's chromium when it is missing and we may use apt-get (root, or sudo
# without a password). Never fails: when no browser can be had, it says so loudly and the
# browser test itself skips with a clear reason. A learner's `make install` does not need it.
set -u
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
    echo "ensure_chromium: found $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

loud() {
    echo "" >&2
    echo "######################################################################" >&2
    echo "## ensure_chromium: $*" >&2
    echo "## The browser test (tests/browser) will be SKIPPED." >&2
    echo "######################################################################" >&2
    echo "" >&2
}

if ! command -v apt-get >/dev/null 2>&1; then
    loud "no $CHROMIUM and no apt-get here: install Chromium yourself to run the browser test."
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    loud "no $CHROMIUM, and installing it needs root (or passwordless sudo): apt-get install chromium"
    exit 0
fi

echo "ensure_chromium: installing Debian's chromium with apt-get (quietly; this takes a minute)"
if $SUDO apt-get update -qq \
    && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    if [ -x "$CHROMIUM" ]; then
        echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
        exit 0
    fi
    loud "apt-get installed chromium but $CHROMIUM is still missing"
else
    loud "apt-get could not install chromium"
fi
exit 0
