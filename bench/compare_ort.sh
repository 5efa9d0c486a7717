#!/usr/bin/env bash
# kiln against ONNX Runtime side by side, in one run on one machine: the same ONNX file, the same
# seeded input, the same thread count, alternating A B A B (kiln bench, then ORT's CPU provider
# through onnxruntime-node) for R rounds, each runtime in a fresh process per round. Prints every
# round, the medians and the median of the per-round ratios, and "% of the fp32 peak" against
# bench/fma_peak measured in the same run (before and after the rounds).
#
#   bench/compare_ort.sh MODEL.onnx SHAPE BATCH [--threads N] [--rounds R] [--seconds S]
#                        [--warmup W] [--summary FILE.json]
#
# SHAPE is the input's name and per-sample dims, "image:3,224,224" (several inputs: separate them
# with ';'); BATCH is prepended. ORT is installed under bench/peers by this script when missing
# (npm install --ignore-scripts: its install script downloads GPU files and fails offline).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN_BINARY:-$repo/build/release/kiln}
fma_peak=${KILN_FMA_PEAK:-$repo/build/release/bench/fma_peak}

usage() {
  echo "usage: bench/compare_ort.sh MODEL.onnx NAME:DIMS[;NAME:DIMS] BATCH [--threads N]" \
       "[--rounds R] [--seconds S] [--warmup W] [--summary FILE.json]" >&2
  exit 1
}
[ $# -ge 3 ] || usage
model=$1 shape=$2 batch=$3
shift 3
threads=2 rounds=3 seconds=5 warmup=2 summary=""
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --summary) summary=$2; shift 2 ;;
    *) echo "compare_ort: unknown argument $1" >&2; usage ;;
  esac
done
[ -f "$model" ] || { echo "compare_ort: $model: no such file" >&2; exit 1; }
[[ $batch =~ ^[1-9][0-9]*$ && $threads =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
  { echo "compare_ort: BATCH, --threads and --rounds must be positive integers" >&2; exit 1; }
for binary in "$kiln" "$fma_peak"; do
  [ -x "$binary" ] || { echo "compare_ort: $binary not built (scripts/setup)" >&2; exit 1; }
done
if [ ! -d "$repo/bench/peers/node_modules/onnxruntime-node" ]; then
  (cd "$repo/bench/peers" && npm install --ignore-scripts --no-audit --no-fund --silent)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One seeded standard-normal input per model input, shared by both runtimes.
kiln_inputs=() ort_inputs=() info_shapes=()
IFS=';' read -ra shapes <<<"$shape"
for entry in "${shapes[@]}"; do
  name=${entry%%:*} dims=${entry#*:}
  /usr/bin/python3 -c '
import sys, numpy as np
batch, dims, path = int(sys.argv[1]), [int(d) for d in sys.argv[2].split(",")], sys.argv[3]
np.save(path, np.random.default_rng(0).standard_normal([batch] + dims, dtype=np.float32))
' "$batch" "$dims" "$work/$name.npy"
  kiln_inputs+=(--input "$name=$work/$name.npy")
  ort_inputs+=(--input "$name=$work/$name.npy")
  info_shapes+=(--shape "$name:$batch,$dims")
done

macs=$("$kiln" info "$model" "${info_shapes[@]}" | awk '/^MACs:/ {print $2}')
peak_before=$("$fma_peak" --threads "$threads" --seconds 1 --json)
echo "model $model, batch $batch, $threads thread(s), $rounds round(s) of at least $seconds s each"
echo "round   kiln samples/s   ORT samples/s   kiln/ORT"
for ((round = 1; round <= rounds; ++round)); do
  "$kiln" bench "$model" --batch "$batch" --threads "$threads" --duration "$seconds" \
    --warmup "$warmup" "${kiln_inputs[@]}" --summary "$work/kiln_$round.json" --quiet >/dev/null
  node "$repo/bench/ort_bench.js" "$model" "${ort_inputs[@]}" --threads "$threads" \
    --seconds "$seconds" --warmup "$warmup" >"$work/ort_$round.json"
  /usr/bin/python3 -c '
import json, sys
kiln = json.load(open(sys.argv[1]))["results"][0]["samples_per_second"]
ort = json.loads(open(sys.argv[2]).read())["samples_per_second"]
print(f"{sys.argv[3]:>5}   {kiln:14.3f}   {ort:13.3f}   {kiln / ort:8.3f}")
' "$work/kiln_$round.json" "$work/ort_$round.json" "$round"
done
peak_after=$("$fma_peak" --threads "$threads" --seconds 1 --json)

/usr/bin/python3 - "$work" "$rounds" "$macs" "$batch" "$peak_before" "$peak_after" "$model" \
  "$threads" "$summary" <<'PY'
import json, statistics, sys
work, rounds, macs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
peaks = [json.loads(sys.argv[5])["gflops"], json.loads(sys.argv[6])["gflops"]]
model, threads, summary = sys.argv[7], int(sys.argv[8]), sys.argv[9]
kiln = [json.load(open(f"{work}/kiln_{r}.json"))["results"][0]["samples_per_second"]
        for r in range(1, rounds + 1)]
ort_records = [json.loads(open(f"{work}/ort_{r}.json").read()) for r in range(1, rounds + 1)]
ort = [r["samples_per_second"] for r in ort_records]
ratios = [k / o for k, o in zip(kiln, ort)]
peak = max(peaks)
gflop_per_sample = 2.0 * macs / batch / 1e9
def percent_of_peak(samples_per_second):
    return 100.0 * gflop_per_sample * samples_per_second / peak
result = {
    "model": model, "batch": batch, "threads": threads, "rounds": rounds,
    "gmacs_per_sample": macs / batch / 1e9,
    "fp32_peak_gflops": {"before": peaks[0], "after": peaks[1]},
    "onnxruntime_version": ort_records[0]["version"],
    "kiln_samples_per_second": kiln, "ort_samples_per_second": ort, "ratios": ratios,
    "median": {"kiln": statistics.median(kiln), "ort": statistics.median(ort),
               "ratio": statistics.median(ratios)},
    "percent_of_peak": {"kiln": percent_of_peak(statistics.median(kiln)),
                        "ort": percent_of_peak(statistics.median(ort))},
}
print(f"median  {result['median']['kiln']:14.3f}   {result['median']['ort']:13.3f}   "
      f"{result['median']['ratio']:8.3f}  (median of the per-round ratios)")
print(f"fp32 peak {peaks[0]:.1f} / {peaks[1]:.1f} GFLOP/s (before / after); "
      f"{gflop_per_sample:.2f} GFLOP per sample: kiln {result['percent_of_peak']['kiln']:.1f} %, "
      f"ORT {result['percent_of_peak']['ort']:.1f} % of the peak (ORT {result['onnxruntime_version']})")
if summary:
    with open(summary, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
PY
