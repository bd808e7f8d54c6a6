#!/usr/bin/env bash
# Idempotent environment set-up for refseg on a CPU machine.
# Order matters: torch first (the CPU build; nothing below may pull another torch),
# then full mmcv 2.1.0 (prebuilt wheel from ../shared/wheels when present, else a source
# build against the installed torch), then mmengine/mmseg, and refseg (editable) with the
# requirements pyproject.toml declares (`tests` extra; REFSEG_OPTIONAL=1 adds mmdet, hf, vis,
# the dev linters, the demo and ONNX).
#
# OpenCV: mmcv and mmengine require opencv-python, so that is the one installed;
# opencv-python-headless shares its cv2 folder and is not installed next to it.
#
# One Python environment, one editable refseg: the editable install points at the checkout
# that ran this script. Run from a second checkout, the script leaves the existing install
# alone and says so; REFSEG_EDITABLE=1 re-points it to this checkout, or run this checkout's
# code without reinstalling through PYTHONPATH=$PWD. For fully separate checkouts use one
# virtual environment each: PYTHON=/path/to/venv/bin/python bash tools/setup_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
PIP="$PY -m pip"
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
WHEELS=${REFSEG_WHEELS:-../shared/wheels}

have() { $PY - "$@" <<'PYEOF' 2>/dev/null
import importlib.metadata as m, sys
name, version = sys.argv[1], sys.argv[2]
sys.exit(0 if m.version(name).split('+')[0] == version else 1)
PYEOF
}

if ! have torch "$TORCH_VERSION"; then
  $PIP install "torch==$TORCH_VERSION"
fi
# Every later install sees this constraint, so no dependency can replace the CPU torch.
CONSTRAINTS=$(mktemp)
trap 'rm -f "$CONSTRAINTS"' EXIT
$PY -c "import torch; print('torch==' + torch.__version__)" > "$CONSTRAINTS"
export PIP_CONSTRAINT="$CONSTRAINTS"

if ! have mmcv 2.1.0 || ! $PY -c "import mmcv._ext" 2>/dev/null; then
  if [ -d "$WHEELS" ] && ls "$WHEELS"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    if [ -f "$WHEELS/SHA256SUMS" ]; then (cd "$WHEELS" && sha256sum -c --ignore-missing SHA256SUMS); fi
    $PIP install --find-links "$WHEELS" --no-index --no-deps mmcv==2.1.0
  else
    echo "No mmcv wheel in $WHEELS: building mmcv 2.1.0 from source (about 13 minutes)."
    $PIP install "setuptools<70" wheel ninja
    MMCV_WITH_OPS=1 $PIP install --no-build-isolation --no-deps mmcv==2.1.0
  fi
fi

$PIP install -q addict yapf pyyaml packaging Pillow "opencv-python<5" \
  "mmengine==0.10.7" "mmsegmentation==1.2.2"
EXTRAS=tests
if [ "${REFSEG_OPTIONAL:-0}" = "1" ]; then
  EXTRAS=tests,mmdet,hf,vis,dev,demo,onnx
fi
# Where the editable refseg of this environment points, if there is one.
INSTALLED=$($PY - <<'PYEOF' 2>/dev/null || true
import json, importlib.metadata as m
text = m.distribution('refseg').read_text('direct_url.json') or '{}'
url = json.loads(text).get('url', '')
print(url[len('file://'):] if url.startswith('file://') else '')
PYEOF
)
HERE=$(pwd -P)
if [ -n "$INSTALLED" ] && [ "$(cd "$INSTALLED" 2>/dev/null && pwd -P)" != "$HERE" ] \
    && [ "${REFSEG_EDITABLE:-0}" != "1" ]; then
  echo "refseg is already installed in editable mode from $INSTALLED; leaving it there."
  echo "Run this checkout with PYTHONPATH=$HERE, or REFSEG_EDITABLE=1 bash tools/setup_env.sh"
  echo "to point the environment's refseg here."
else
  # pyproject.toml's build needs setuptools >= 77 (the mmcv source build above pins < 70).
  $PIP install -q "setuptools>=77" wheel
  $PIP install -q --no-build-isolation -e ".[$EXTRAS]"
fi
$PY -c "import torch, mmcv, mmcv.ops, mmengine, mmseg; print('refseg env ok: torch', torch.__version__, 'mmcv', mmcv.__version__, 'mmengine', mmengine.__version__, 'mmseg', mmseg.__version__)"
