#!/usr/bin/env bash
# The main job in miniature: the real recipe (CLIP pretraining, then CRIS from CLIP) on the
# built-in synthetic world.
#
#   bash tools/run_synthetic.sh [--cfg-options ...]     # options go to the CRIS training
#
# 1. Pretrain the tiny CLIP (configs/clip/clip_rn-tiny_synthetic.py) on the world's
#    image-text pairs and export it in OpenAI's layout to pretrain/clip_rn-tiny_synthetic.pth,
#    unless that file exists (delete it to pretrain again). The world is generated under
#    data/synthetic on first use.
# 2. Train CRIS from it (configs/synthetic/cris_rn-tiny-clip_synthetic.py) and evaluate it on
#    the val split. Its checkpoint is work_dirs/cris_rn-tiny-clip_synthetic/epoch_4.pth (see
#    the folder's last_checkpoint); tools/test.py, tools/infer.py and refseg.apis.init_model
#    take it with the same config.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIP_CONFIG=configs/clip/clip_rn-tiny_synthetic.py
CLIP_WORK_DIR=work_dirs/clip_rn-tiny_synthetic
CLIP_FILE=pretrain/clip_rn-tiny_synthetic.pth
CRIS_CONFIG=configs/synthetic/cris_rn-tiny-clip_synthetic.py

if [ -f "$CLIP_FILE" ]; then
  echo "Reusing the pretrained tiny CLIP $CLIP_FILE (delete it to pretrain again)."
else
  python tools/train.py "$CLIP_CONFIG" --work-dir "$CLIP_WORK_DIR"
  python tools/model_converters/clip_refseg_to_openai.py \
    "$(cat "$CLIP_WORK_DIR/last_checkpoint")" "$CLIP_FILE"
fi
python tools/train.py "$CRIS_CONFIG" "$@"
