#!/usr/bin/env bash
# Idempotent environment set-up for refseg on a CPU machine.
# Order matters: torch first (the CPU build; nothing below may pull another torch),
# then full mmcv 2.1.0 (prebuilt wheel from ../shared/wheels when present, else a source
# build against the installed torch), then mmengine/mmseg, the rest, and refseg (editable).
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

$PIP install -q addict yapf pyyaml packaging Pillow "opencv-python-headless<5" "opencv-python<5" \
  "mmengine==0.10.7" "mmsegmentation==1.2.2" -r requirements/runtime.txt -r requirements/tests.txt
if [ "${REFSEG_OPTIONAL:-0}" = "1" ]; then
  $PIP install -q -r requirements/optional.txt
fi
if ! $PY -c "import refseg" 2>/dev/null || [ ! -f refseg.egg-info/PKG-INFO ]; then
  $PIP install -q --no-deps --no-build-isolation -e .
fi
$PY -c "import torch, mmcv, mmcv.ops, mmengine, mmseg; print('refseg env ok: torch', torch.__version__, 'mmcv', mmcv.__version__, 'mmengine', mmengine.__version__, 'mmseg', mmseg.__version__)"
