// The peer pipeline: decode + resize (sharp, libvips), normalise, run MobileNetV2 (onnxruntime-node),
// over every JPEG in a folder, with a fixed number of images in flight. Prints JSON:
// { images, seconds, images_per_second, cpu_ms_per_image } (process CPU, all threads, over the timed part). Usage: node embed-folder.mjs MODEL FOLDER [concurrency] [repeat] [warmup]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';

const [model, folder, concurrencyArg = '2', repeatArg = '1', warmupArg = '0'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const repeat = Number(repeatArg);
const warmup = Number(warmupArg);
const size = 224;
const mean = [0.485, 0.456, 0.406];
const std = [0.229, 0.224, 0.225];

// Each in-flight image uses one ORT thread, as ArtMatch runs one intra-op thread per worker.
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
sharp.concurrency(1);
const files = readdirSync(folder).filter(f => /\.jpe?g$/i.test(f)).sort().map(f => join(folder, f));
const encoded = files.map(f => readFileSync(f));

async function embed(bytes) {
  const { data } = await sharp(bytes).rotate().resize(size, size, { fit: 'cover' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const input = new Float32Array(3 * size * size);
  const plane = size * size;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) input[c * plane + i] = (data[i * 3 + c] / 255 - mean[c]) / std[c];
  }
  const output = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, size, size]) });
  return output[session.outputNames[0]].data;
}

const work = [];
for (let r = 0; r < repeat; r++) work.push(...encoded);
// The first `warmup` photos are embedded before the clock starts, with the same number in flight.
async function embedAll(list) {
  let next = 0;
  async function worker() {
    while (next < list.length) await embed(list[next++]);
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}
await embedAll(work.slice(0, Math.min(warmup, work.length)));
const start = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
await embedAll(work);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuMsPerImage = Math.round((cpu.user + cpu.system) / 10 / work.length) / 100;
console.log(JSON.stringify({ images: work.length, seconds, images_per_second: work.length / seconds, warmup, cpu_ms_per_image: cpuMsPerImage }));
