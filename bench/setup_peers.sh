#!/usr/bin/env bash
# Install the benchmark peers and tools under bench/out/peers (git-ignored), never into the project:
#   oxigraph 0.5.13 (the `oxigraph` CLI: load, serve-read-only), rdflib-endpoint 0.6.3, py-spy and
#   pyinstrument for profiles. wrk comes from Debian: apt-get install -y wrk.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON="${PYTHON:-python3}"
mkdir -p out/peers
cd out/peers
[ -x oxigraph/bin/oxigraph ] || { "$PYTHON" -m venv oxigraph && oxigraph/bin/pip install -q oxigraph==0.5.13; }
[ -x rdflib-endpoint/bin/rdflib-endpoint ] || {
    "$PYTHON" -m venv rdflib-endpoint && rdflib-endpoint/bin/pip install -q 'rdflib-endpoint[cli]==0.6.3' uvicorn
}
[ -x tools/bin/py-spy ] || { "$PYTHON" -m venv tools && tools/bin/pip install -q py-spy pyinstrument; }
command -v wrk >/dev/null || echo "wrk not found: apt-get install -y wrk (else bench/run.py uses its asyncio client)"
