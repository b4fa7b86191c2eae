// onnxruntime-node peer measurement for the DLP benchmarks.
//
//   node ort_bench.js MODEL.onnx INPUT.npy [--threads N] [--repeat R]
//
// Prints one JSON line: session creation time, and the median / minimum
// latency of R runs (after one warm-up run) on INPUT (float32 .npy).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY')
    throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new Error(`${path}: expected little-endian float32 in C order`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1]
                    .split(',').filter((s) => s.trim() !== '').map(Number);
  const bytes = buf.subarray(start);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset,
                                                   bytes.byteOffset + bytes.length));
  return {data, shape};
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const [model, input] = args;
  const threads = opt('--threads', 2), repeat = opt('--repeat', 20);
  const x = readNpy(input);
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  let t = now();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential'});
  const createMs = now() - t;
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape)};
  await session.run(feeds);
  const times = [];
  for (let r = 0; r < repeat; ++r) {
    t = now();
    await session.run(feeds);
    times.push(now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({create_ms: createMs,
                              run_ms: times[Math.floor(times.length / 2)],
                              run_min_ms: times[0],
                              rss_mb: process.memoryUsage().rss / 2 ** 20}));
}
main().catch((e) => { console.error(`ort_bench: ${e.message}`); process.exit(1); });
