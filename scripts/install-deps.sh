#!/usr/bin/env bash
# Installs the system packages the build needs, when they are missing:
#   libopenblas-dev, liblapacke-dev (BLAS/LAPACK), pkg-config (to find them),
#   libopenmpi-dev, openmpi-bin (Open MPI: `train --distributed` under mpirun, and its tests),
#   librsvg2-bin (rsvg-convert, to render the dashboard SVG to PNG),
#   python3 with venv (schemathesis for the API fuzz run of `make test`, from PyPI into .venv-fuzz).
# wrk, for Benchmarks/serve-bench.sh only, is installed by that script.
# Uses apt-get as root, or through sudo; otherwise says what to run and fails.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists openblas || missing+=(libopenblas-dev)
    pkg-config --exists lapacke || missing+=(liblapacke-dev)
    pkg-config --exists ompi-c || missing+=(libopenmpi-dev)
else
    missing+=(libopenblas-dev liblapacke-dev libopenmpi-dev)
fi
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
if [ "${WITH_RSVG:-1}" = 1 ]; then
    command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
fi
if [ "${WITH_PYTHON_VENV:-1}" = 1 ]; then
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}" >&2
if [ "$(id -u)" = 0 ]; then
    apt=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo apt-get)
else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "       install them as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install the equivalents of: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq >/dev/null
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}" >&2
