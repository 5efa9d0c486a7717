// ONNX Runtime's side of bench/compare_ort.sh: loads MODEL with the CPU execution provider
// (graph optimisation "all", sequential execution, intra-op threads = --threads, one inter-op
// thread), feeds the same .npy inputs kiln gets, runs --warmup untimed runs, then times runs
// for at least --seconds (and at least 3), and prints one JSON line:
//   {"runtime": "onnxruntime", "version": ..., "batch": B, "runs": N, "samples_per_second": ...,
//    "latency_ms": {"mean": ..., "p50": ..., "min": ..., "max": ...}}
//
//   node bench/ort_bench.js MODEL.onnx --input NAME=FILE.npy [--input ...] [--threads N]
//        [--seconds S] [--warmup W]

'use strict';
const fs = require('fs');
const path = require('path');

const peers = path.join(__dirname, 'peers', 'node_modules', 'onnxruntime-node');
let ort;
try {
  ort = require(peers);
} catch (e) {
  console.error(`ort_bench: onnxruntime-node is not installed under bench/peers ` +
                `(cd bench/peers && npm install --ignore-scripts): ${e.message}`);
  process.exit(1);
}

function fail(message) {
  console.error(`ort_bench: ${message}`);
  process.exit(1);
}

// The .npy formats numpy writes for a C-ordered little-endian array: version 1-3 headers.
const kDtypes = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array], '|u1': ['uint8', Uint8Array],
};
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') {
    fail(`${file}: not an .npy file`);
  }
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const order = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) fail(`${file}: unreadable .npy header ${header}`);
  if (order[1] !== 'False') fail(`${file}: Fortran-ordered arrays are not supported`);
  const type = kDtypes[descr[1]];
  if (!type) fail(`${file}: dtype ${descr[1]} is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const dataStart = headerStart + headerLength;
  const data = bytes.subarray(dataStart);
  const ArrayType = type[1];
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count * ArrayType.BYTES_PER_ELEMENT) {
    fail(`${file}: ${data.length} data bytes for shape [${dims}]`);
  }
  const aligned = new ArrayType(count);
  new Uint8Array(aligned.buffer).set(data);
  return new ort.Tensor(type[0], aligned, dims);
}

function parseArgs(argv) {
  const options = {inputs: {}, threads: 2, seconds: 5, warmup: 2, model: null};
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--input') {
      const [name, file] = value().split('=');
      if (!file) fail('--input takes NAME=FILE.npy');
      options.inputs[name] = file;
    } else if (arg === '--threads') {
      options.threads = Number(value());
    } else if (arg === '--seconds') {
      options.seconds = Number(value());
    } else if (arg === '--warmup') {
      options.warmup = Number(value());
    } else if (!arg.startsWith('--') && options.model === null) {
      options.model = arg;
    } else {
      fail(`unknown argument ${arg}`);
    }
  }
  if (!options.model) fail('usage: ort_bench.js MODEL.onnx --input NAME=FILE.npy [...]');
  if (!(options.threads >= 1) || !(options.seconds > 0) || !(options.warmup >= 0)) {
    fail('--threads must be >= 1, --seconds > 0, --warmup >= 0');
  }
  return options;
}

function percentile(sorted, q) {
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank), high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(options.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
  });
  const feeds = {};
  for (const name of session.inputNames) {
    if (!(name in options.inputs)) fail(`no --input for the model's input '${name}'`);
    feeds[name] = readNpy(options.inputs[name]);
  }
  const batch = feeds[session.inputNames[0]].dims[0];
  for (let i = 0; i < options.warmup; ++i) await session.run(feeds);
  const latencies = [];
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < options.seconds || latencies.length < 3) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const t1 = process.hrtime.bigint();
    latencies.push(Number(t1 - t0) / 1e6);
    elapsed = Number(t1 - start) / 1e9;
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  console.log(JSON.stringify({
    runtime: 'onnxruntime',
    version: require(path.join(peers, 'package.json')).version,
    batch,
    threads: options.threads,
    runs: latencies.length,
    samples_per_second: batch * latencies.length / elapsed,
    latency_ms: {mean, p50: percentile(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1]},
  }));
}

main().catch((e) => fail(e.message));
