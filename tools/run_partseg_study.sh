#!/usr/bin/env bash
# The part-granularity study end to end on the synthetic PartImageNet look-alike, on CPU:
#   bash tools/run_partseg_study.sh            # data, 3 trainings, sweeps, tests, report
# Environment knobs (defaults in brackets): ROOT [data/partimagenet_synthetic_study],
# OUT [work_dirs/partseg_study], NUM_IMAGES ["176 44 44"], CRIS_EPOCHS [40],
# OBJ_EPOCHS [12], MRCNN_EPOCHS [36], CLIP_CKPT [pretrain/clip_rn-tiny_synthetic.pth: the
# tiny CLIP of configs/clip/clip_rn-tiny_synthetic.py exported to OpenAI's layout; CRIS
# starts from random weights when the file is absent, and the script says so].
#
# Steps (docs/partimagenet.md, "The synthetic study"):
#  1. data: generate, sanitise for mmdet, whole-object files for the detector pretraining;
#  2. CRIS (tiny) trained on the parts with the template mix (best val mIoU_part), in the
#     background (one core) while steps 3-4 run (the other);
#  3. "pre-trained" Mask R-CNN: a tiny Mask R-CNN trained on whole objects of the 7
#     superclasses COCO covers, under COCO names (never sees a part) = baseline A;
#  4. baseline B: the same detector fine-tuned on the 40 part classes (best val mIoU_part);
#  5. thresholds chosen on val (Mask R-CNN score_thr, CRIS mask threshold) and applied on
#     test; CRIS also tested with bare parts, superclass nouns, no text, and at a larger
#     letterbox; Mask R-CNN at CRIS's input scale;
#  6. the report: tables, bootstrap CI, figures (tools/analysis_tools/partseg_report.py).
# A training whose work dir already holds its final epoch is skipped, so a rerun with other
# thresholds or report options only evaluates.
set -euo pipefail
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # more threads only spin on a busy machine
export PYTHONPATH=${PYTHONPATH:-$(pwd)}
ROOT=${ROOT:-data/partimagenet_synthetic_study}
OUT=${OUT:-work_dirs/partseg_study}
NUM_IMAGES=${NUM_IMAGES:-"176 44 44"}
CRIS_EPOCHS=${CRIS_EPOCHS:-40}
OBJ_EPOCHS=${OBJ_EPOCHS:-12}
MRCNN_EPOCHS=${MRCNN_EPOCHS:-36}
CLIP_CKPT=${CLIP_CKPT:-pretrain/clip_rn-tiny_synthetic.pth}
export PARTIMAGENET_SYNTHETIC_ROOT=$ROOT/
mkdir -p "$OUT"
SECONDS=0
step() { echo "[$(printf '%4d' $SECONDS) s] $*"; }
best_ckpt() {  # the kept best checkpoint of a work dir, else its last one
  local best; best=$(ls "$1"/best_*.pth 2>/dev/null | head -n 1 || true)
  if [ -n "$best" ]; then echo "$best"; else cat "$1/last_checkpoint"; fi
}
trained() {  # a work dir whose last checkpoint is the final epoch: its training is skipped
  [ -f "$1/last_checkpoint" ] && grep -q "epoch_$2.pth" "$1/last_checkpoint"
}
best_value() { python -c "import json,sys; print(json.load(open(sys.argv[1]))['best'])" "$1"; }

step "1. data in $ROOT ($NUM_IMAGES images)"
# The generator is deterministic: the same arguments give the same files.
python tools/dataset_converters/generate_partimagenet.py "$ROOT" --num-images $NUM_IMAGES
python tools/dataset_converters/sanitize_partimagenet.py "$ROOT"
for split in train val test; do
  python tools/dataset_converters/partimagenet_objects.py \
    "$ROOT/annotations/$split/$split.json" "$ROOT/annotations/$split/${split}_objects.json"
done

CRIS=configs/partseg/cris_tiny_partimagenet-synthetic.py
INIT="random initialisation"
if [ -f "$CLIP_CKPT" ]; then
  CRIS=configs/partseg/cris_tiny-clip_partimagenet-synthetic.py
  INIT="the tiny CLIP $CLIP_CKPT"
  # Read when training starts; tests load every weight from the CRIS checkpoint.
  CLIP_OPTS="model.backbone.init_cfg.checkpoint=$CLIP_CKPT"
  CLIP_OPTS="$CLIP_OPTS model.text_encoder.init_cfg.checkpoint=$CLIP_CKPT"
else
  echo "NOTE: $CLIP_CKPT not found: CRIS starts from random weights"
  CLIP_OPTS=""
fi
# CRIS trains on one core while the two detectors train one after the other on the other.
step "2. CRIS from $INIT ($CRIS_EPOCHS epochs), in the background"
if trained "$OUT/cris" $CRIS_EPOCHS; then
  echo "$OUT/cris is trained already: kept"
  true &
else
  python tools/train.py $CRIS --work-dir "$OUT/cris" --cfg-options $CLIP_OPTS \
    train_cfg.max_epochs=$CRIS_EPOCHS param_scheduler.1.milestones=[$((CRIS_EPOCHS * 9 / 10))] \
    > "$OUT/cris.log" 2>&1 &
fi
CRIS_PID=$!

OBJ=configs/partseg/maskrcnn_tiny_partimagenet-synthetic_objects.py
MRCNN=configs/partseg/maskrcnn_tiny_partimagenet-synthetic.py
step "3. object-level Mask R-CNN ('pre-trained', $OBJ_EPOCHS epochs)"
trained "$OUT/maskrcnn_objects" $OBJ_EPOCHS ||
python tools/train.py $OBJ --work-dir "$OUT/maskrcnn_objects" --cfg-options \
  train_cfg.max_epochs=$OBJ_EPOCHS train_cfg.val_interval=$OBJ_EPOCHS \
  default_hooks.checkpoint.interval=$OBJ_EPOCHS param_scheduler.1.milestones=[$((OBJ_EPOCHS - 2))] \
  param_scheduler.1.end=$OBJ_EPOCHS > "$OUT/maskrcnn_objects.log" 2>&1
OBJ_CKPT=$(best_ckpt "$OUT/maskrcnn_objects")

step "4. baseline B: fine-tune it on the 40 parts ($MRCNN_EPOCHS epochs)"
trained "$OUT/maskrcnn_parts" $MRCNN_EPOCHS ||
python tools/train.py $MRCNN --work-dir "$OUT/maskrcnn_parts" --cfg-options \
  load_from="$OBJ_CKPT" train_cfg.max_epochs=$MRCNN_EPOCHS \
  param_scheduler.1.milestones=[$((MRCNN_EPOCHS * 3 / 4))] param_scheduler.1.end=$MRCNN_EPOCHS \
  > "$OUT/maskrcnn_parts.log" 2>&1
PARTS_CKPT=$(best_ckpt "$OUT/maskrcnn_parts")
wait $CRIS_PID || { echo "CRIS training failed: $OUT/cris.log"; exit 1; }
CRIS_CKPT=$(best_ckpt "$OUT/cris")

step "5. thresholds on val"
SWEEP=tools/analysis_tools/sweep_thresholds.py
python $SWEEP $CRIS "$CRIS_CKPT" --param threshold --values 0.1 0.2 0.3 0.35 0.4 0.5 0.6 \
  --out "$OUT/sweep_cris.json" --work-dir "$OUT/sweeps" \
  > "$OUT/sweep_cris.log" 2>&1 &
SWEEP_PID=$!
python $SWEEP $OBJ "$OBJ_CKPT" --param score_thr --values 0.01 0.05 0.1 0.3 0.5 0.7 0.9 \
  --out "$OUT/sweep_maskrcnn_a.json" --work-dir "$OUT/sweeps" > "$OUT/sweep_a.log" 2>&1
python $SWEEP $MRCNN "$PARTS_CKPT" --param score_thr --values 0.01 0.05 0.1 0.3 0.5 0.7 0.9 \
  --out "$OUT/sweep_maskrcnn_b.json" --work-dir "$OUT/sweeps" > "$OUT/sweep_b.log" 2>&1
wait $SWEEP_PID || { echo "CRIS sweep failed: $OUT/sweep_cris.log"; exit 1; }
THR_A=$(best_value "$OUT/sweep_maskrcnn_a.json")
THR_B=$(best_value "$OUT/sweep_maskrcnn_b.json")
THR_CRIS=$(best_value "$OUT/sweep_cris.json")
echo "chosen on val: Mask R-CNN A score_thr=$THR_A, B score_thr=$THR_B, CRIS threshold=$THR_CRIS"

step "6. test runs with the val thresholds"
R=$OUT/records
test_det() {  # config checkpoint threshold name [extra options]
  python tools/test.py "$1" "$2" --work-dir "$OUT/tests" --out "$R/$4.json" --cfg-options \
    test_evaluator.0.score_thr="$3" test_evaluator.0.save_masks=True "${@:5}" \
    > "$OUT/test_$4.log" 2>&1 || { echo "test run $4 failed: $OUT/test_$4.log"; return 1; }
}
test_cris() {  # name [extra options]
  python tools/test.py $CRIS "$CRIS_CKPT" --work-dir "$OUT/tests" --out "$R/$1.json" \
    --cfg-options test_evaluator.threshold="$THR_CRIS" \
    test_evaluator.save_masks=True "${@:2}" > "$OUT/test_$1.log" 2>&1 ||
    { echo "test run $1 failed: $OUT/test_$1.log"; return 1; }
}
# The detector runs on one core, the CRIS runs on the other.
( test_det $OBJ "$OBJ_CKPT" "$THR_A" maskrcnn_a
  test_det $MRCNN "$PARTS_CKPT" "$THR_B" maskrcnn_b
  test_det $MRCNN "$PARTS_CKPT" "$THR_B" maskrcnn_b_128 \
    test_dataloader.dataset.pipeline.1.scale="(128,128)" ) &
DET_PID=$!
test_cris cris_t0
test_cris cris_bare test_dataloader.dataset.templates=part
test_cris cris_superclass test_dataloader.dataset.templates=part_of_superclass
test_cris cris_no_text model.text_override=""
test_cris cris_192 img_size=192 model.backbone.input_resolution=128  # the trained grid
wait $DET_PID || { echo "a Mask R-CNN test failed: $OUT/test_maskrcnn_*.log"; exit 1; }

step "7. report"
TEST_ANN=$ROOT/annotations/test/test.json
python tools/analysis_tools/partseg_report.py --ann-file "$TEST_ANN" --out-dir "$OUT/report" \
  --cris "CRIS" --maskrcnn "Mask R-CNN B (fine-tuned)" \
  --run "CRIS" "$R/cris_t0.json" 128 "object name (T0)" \
  --run "CRIS, bare part" "$R/cris_bare.json" 128 "bare part" \
  --run "CRIS, superclass noun" "$R/cris_superclass.json" 128 "superclass noun" \
  --run "CRIS, no text" "$R/cris_no_text.json" 128 "none (text_override='')" \
  --run "CRIS at 192 (test only)" "$R/cris_192.json" 192 "object name (T0)" \
  --run "Mask R-CNN A (objects only)" "$R/maskrcnn_a.json" 160 "class map" \
  --run "Mask R-CNN B (fine-tuned)" "$R/maskrcnn_b.json" 160 "class" \
  --run "Mask R-CNN B at 128 (test only)" "$R/maskrcnn_b_128.json" 128 "class" \
  --note "CRIS from $INIT; thresholds chosen on val: CRIS $THR_CRIS, Mask R-CNN A \
$THR_A, B $THR_B; $NUM_IMAGES synthetic images"
step "done: $OUT/report/report.md"
