#!/usr/bin/env bash
# Installs the Debian packages jaxjudge needs when run as root; otherwise says exactly what to install.
# Usage: scripts/system-packages.sh PACKAGE:COMMAND...   (e.g. bubblewrap:bwrap)
# COMMAND may be a path pattern instead, for programs off PATH (postgresql:/usr/lib/postgresql/*/bin/initdb).
set -euo pipefail
missing=()
for pair in "$@"; do
    package=${pair%%:*}
    command=${pair#*:}
    if [[ $command == */* ]]; then
        compgen -G "$command" >/dev/null || missing+=("$package")
    else
        command -v "$command" >/dev/null 2>&1 || missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
