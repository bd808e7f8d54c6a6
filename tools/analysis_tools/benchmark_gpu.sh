#!/usr/bin/env bash
# The GPU rows of docs/benchmarks.md, in one go, random weights (no checkpoint or data):
#   bash tools/analysis_tools/benchmark_gpu.sh [OUT_DIR]
# Training throughput (benchmark_train.py) of CRIS-R50 at batch 64 with the config's AMP and
# in fp32, and of RISCLIP-B stage 1 with AMP; inference latency and throughput (benchmark.py)
# at batch 1, 8 and 64 of CRIS-R50 and RISCLIP-B in fp32 and fp16 autocast, and of RISCLIP-L
# in fp16 autocast. Each step is time-limited (STEP_TIMEOUT seconds, default 300) and a failed
# step does not stop the others; results are appended as JSON lines to OUT_DIR/train.jsonl
# and OUT_DIR/infer.jsonl.
set -u
out=${1:-work_dirs/benchmark_gpu}
python=${PYTHON:-python}
tools=$(dirname "$0")
mkdir -p "$out"

step() {
    echo "+ $*"
    timeout "${STEP_TIMEOUT:-300}" "$python" "$@" || echo "step failed (exit $?): $*"
}

train="--batch-size 64 --iters 10 --warmup 3 --device cuda --out $out/train.jsonl"
step "$tools/benchmark_train.py" configs/cris/cris_r50_refcoco.py $train
step "$tools/benchmark_train.py" configs/cris/cris_r50_refcoco.py $train --no-amp
step "$tools/benchmark_train.py" configs/risclip/risclip_vitb_refcoco_stage1.py $train --amp

infer="--batch-sizes 1 8 64 --iters 10 --warmup 3 --device cuda --out $out/infer.jsonl"
for config in cris/cris_r50_refcoco risclip/risclip_vitb_refcoco; do
    step "$tools/benchmark.py" "configs/$config.py" $infer
    step "$tools/benchmark.py" "configs/$config.py" $infer --amp
done
step "$tools/benchmark.py" configs/risclip/risclip_vitl_refcoco.py $infer --amp
