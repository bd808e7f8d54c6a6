#!/usr/bin/env bash
# Train RISCLIP's two stages in a row: stage 1 (the config named like CONFIG with
# "_stage1" before ".py"), then stage 2 (CONFIG) starting from stage 1's last checkpoint.
#   bash tools/train_two_stage.sh configs/risclip/risclip_vitb_refcoco.py GPUS [train.py options]
# GPUS=1 runs tools/train.py, more runs tools/dist_train.sh. The options (e.g.
# --cfg-options ...) go to both stages. Work dirs: $WORK_ROOT/<config name> (work_dirs).
# Stage 2 gets stage 1's checkpoint as load_from, so any WORK_ROOT works (run alone,
# tools/train.py finds it in work_dirs/<name>_stage1: init_from_stage1 in the config).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 STAGE2_CONFIG GPUS [train.py options]" >&2
  exit 2
fi
STAGE2_CONFIG=$1
GPUS=$2
shift 2
STAGE1_CONFIG="${STAGE2_CONFIG%.py}_stage1.py"
if [ ! -f "$STAGE1_CONFIG" ]; then
  echo "$0: no stage-1 config $STAGE1_CONFIG next to $STAGE2_CONFIG" >&2
  exit 2
fi
REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK_ROOT=${WORK_ROOT:-work_dirs}
STAGE1_DIR="$WORK_ROOT/$(basename "${STAGE1_CONFIG%.py}")"
STAGE2_DIR="$WORK_ROOT/$(basename "${STAGE2_CONFIG%.py}")"

train() {
  if [ "$GPUS" -gt 1 ]; then
    bash "$REPO_ROOT/tools/dist_train.sh" "$1" "$GPUS" "${@:2}"
  else
    python "$REPO_ROOT/tools/train.py" "$1" "${@:2}"
  fi
}

train "$STAGE1_CONFIG" --work-dir "$STAGE1_DIR" "$@"
# The checkpoint hook writes the path of the last checkpoint here.
STAGE1_CHECKPOINT=$(cat "$STAGE1_DIR/last_checkpoint")
echo "stage 2 starts from $STAGE1_CHECKPOINT"
train "$STAGE2_CONFIG" --work-dir "$STAGE2_DIR" "$@" \
  --cfg-options load_from="$STAGE1_CHECKPOINT"
