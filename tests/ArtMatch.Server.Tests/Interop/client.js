// An independent ArtMatch client on @grpc/grpc-js (pure JavaScript gRPC), driven by the server's
// interop tests against a running `artmatch serve`.
//
// Usage: node client.js PROTOS_DIR ADDRESS PLAN.json
// Runs every scenario once and prints one JSON object: scenario -> outcome, where an outcome is
// {"code": "OK"|STATUS_NAME, "details": TEXT, ...what the call returned}. The scenarios are the
// ones client.py runs.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const descriptor = require('protobufjs/ext/descriptor');

const [protos, address, planPath] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planPath, 'utf8'));
const GUARD_MS = 600_000; // only a guard against a hung server (a loaded one-core machine is slow, not hung)

const load = file => grpc.loadPackageDefinition(protoLoader.loadSync(path.join(protos, file),
  { includeDirs: [protos], keepCase: true, enums: String, longs: Number, defaults: true, oneofs: true }));
const api = load('artmatch/v1/artmatch.proto').artmatch.v1;
const health = load('grpc/health/v1/health.proto').grpc.health.v1;
const reflection = load('grpc/reflection/v1alpha/reflection.proto').grpc.reflection.v1alpha;

const credentials = plan.root_cert ? grpc.credentials.createSsl(fs.readFileSync(plan.root_cert)) : grpc.credentials.createInsecure();
const options = { 'grpc.max_send_message_length': 64 << 20, 'grpc.max_receive_message_length': 64 << 20 };
const client = new api.ArtMatch(address, credentials, options);
// The same service on a channel that gzips every request.
const gzipClient = new api.ArtMatch(address, credentials, { ...options, 'grpc.default_compression_algorithm': 2 });

const deadline = (ms = GUARD_MS) => ({ deadline: new Date(Date.now() + ms) });
const codeName = code => Object.keys(grpc.status).find(name => grpc.status[name] === code);
const key = role => {
  const metadata = new grpc.Metadata();
  if (role) metadata.set('authorization', 'Bearer ' + (plan.keys[role] ?? role));
  return metadata;
};
const unary = (target, method, request, role = 'officer', callOptions = deadline()) =>
  new Promise((resolve, reject) => target[method](request, key(role), callOptions, (error, reply) => (error ? reject(error) : resolve(reply))));
const top = response => {
  const first = response.candidates[0];
  return { verdict: response.verdict, object_id: first ? first.object.object_id : '', candidates: response.candidates.length };
};
const verify = request => unary(client, 'Verify', request).then(r => ({
  verdict: r.verdict, score: r.score, inliers: r.inliers, keypoint_inliers: r.keypoint_inliers,
  matched_image_id: r.matched_image_id, has_region: r.matched_region != null, same_threshold: r.same_threshold,
}));
const photo = fs.readFileSync(plan.photo);
const objectId = plan.object_id;

// A Match whose 1 ms deadline passes, then the same key's next photo: the server counts the expired
// call against the caller's share until its work stops, so on a slow machine the next one may be
// refused as busy ("Retry"); it is sent again, backing off, as that message asks, and must be answered.
async function deadlineExpired() {
  let expired = {};
  try {
    await unary(client, 'Match', { photo }, 'officer', { deadline: new Date(Date.now() + 1) });
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    expired = { code: codeName(error.code), details: error.details };
  }
  let wait = 50;
  for (let i = 0; i < 150; i++) { // a guard against a share never given back, not a measurement
    try {
      await unary(client, 'Match', { photo, top_k: 1 });
      return { ...expired, after: 'OK' };
    } catch (error) {
      if (typeof error.code !== 'number') throw error;
      if (error.code !== grpc.status.RESOURCE_EXHAUSTED || !String(error.details).includes('Retry')) return { ...expired, after: codeName(error.code) };
    }
    await new Promise(resolve => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 5000);
  }
  return { ...expired, after: 'still refused as busy' };
}

function screen() {
  return new Promise((resolve, reject) => {
    const call = client.ScreenBatch(key('officer'), deadline());
    const results = [];
    call.on('data', r => results.push({
      caller_id: r.caller_id,
      object_id: r.result && r.result.candidates.length ? r.result.candidates[0].object.object_id : '',
      error_code: r.error ? r.error.code : 0,
    }));
    call.on('error', reject);
    call.on('end', () => resolve({ results }));
    plan.photos.forEach((file, i) => call.write({ caller_id: `photo-${i}`, photo: fs.readFileSync(file), top_k: 1 }));
    call.end();
  });
}

function upsert(role) {
  const request = { object: { object_id: objectId, title: 'Interop reliquary', status: 'STOLEN' }, images: [{ data: fs.readFileSync(plan.upsert_photo), label: 'front' }] };
  return unary(client, 'UpsertObject', request, role).then(r => ({ created: r.created, images_added: r.images_added }));
}

async function reflect() {
  const stub = new reflection.ServerReflection(address, credentials);
  const call = stub.ServerReflectionInfo(key('officer'), deadline());
  const replies = [];
  const done = new Promise((resolve, reject) => {
    call.on('data', r => replies.push(r));
    call.on('error', reject);
    call.on('end', resolve);
  });
  call.write({ list_services: '' });
  call.write({ file_containing_symbol: 'artmatch.v1.ArtMatch' });
  call.end();
  await done;
  const [listed, described] = replies;
  const file = descriptor.FileDescriptorProto.decode(described.file_descriptor_response.file_descriptor_proto[0]);
  return {
    services: listed.list_services_response.service.map(s => s.name),
    file: file.name,
    package: file.package,
    methods: file.service.flatMap(s => s.method.map(m => m.name)),
  };
}

function unknownMethod() {
  const generic = grpc.makeGenericClientConstructor({
    Nope: { path: '/artmatch.v1.ArtMatch/Nope', requestStream: false, responseStream: false, requestSerialize: b => b, requestDeserialize: b => b, responseSerialize: b => b, responseDeserialize: b => b },
  }, 'ArtMatch');
  return unary(new generic(address, credentials), 'Nope', Buffer.alloc(0), 'admin', deadline());
}

const scenarios = {
  match: () => unary(client, 'Match', { photo, top_k: 3 }).then(top),
  match_gzip: () => unary(gzipClient, 'Match', { photo, top_k: 3 }).then(top),
  match_10mb: () => unary(client, 'Match', { photo: fs.readFileSync(plan.big_photo), top_k: 3 }).then(top),
  screen_20: screen,
  deadline_expired: deadlineExpired,
  not_an_image: () => unary(client, 'Match', { photo: Buffer.from('hello, not an image') }).then(top),
  empty_photo: () => unary(client, 'Match', { photo: Buffer.alloc(0) }).then(top),
  top_k_too_large: () => unary(client, 'Match', { photo, top_k: 500 }).then(top),
  not_found: () => unary(client, 'GetObject', { object_id: 'NO-SUCH-OBJECT' }).then(() => ({})),
  over_limit: () => unary(client, 'Match', { photo: Buffer.alloc(33 << 20) }).then(top),
  unknown_method: () => unknownMethod().then(() => ({})),
  no_key: () => unary(client, 'Match', { photo }, null).then(top),
  unknown_key: () => unary(client, 'Match', { photo }, 'not-a-key-0123456789').then(top),
  officer_search: () => unary(client, 'SearchObjects', { text: 'Title' }).then(r => ({ objects: r.objects.length })),
  officer_upsert: () => upsert('officer'),
  partner_upsert: () => upsert('partner'),
  partner_add_images: () => unary(client, 'AddImages', { object_id: objectId, images: [{ data: photo }] }, 'partner').then(r => ({ images_added: r.images_added })),
  partner_delete: () => unary(client, 'DeleteObject', { object_id: objectId }, 'partner').then(r => ({ deleted: r.deleted })),
  admin_delete: () => unary(client, 'DeleteObject', { object_id: objectId }, 'admin').then(r => ({ deleted: r.deleted })),
  verify_same: () => verify({ photo: fs.readFileSync(plan.verify_photo), reference_picture: fs.readFileSync(plan.verify_reference) }),
  verify_same_object: () => verify({ photo: fs.readFileSync(plan.verify_photo), object_id: plan.verify_object_id }),
  verify_different: () => verify({ photo: fs.readFileSync(plan.verify_photo), reference_picture: fs.readFileSync(plan.verify_other) }),
  verify_bad_image: () => verify({ photo: Buffer.from('hello, not an image'), reference_picture: fs.readFileSync(plan.verify_reference) }),
  verify_bad_reference: () => verify({ photo: fs.readFileSync(plan.verify_photo), reference_picture: Buffer.from('hello, not an image') }),
  verify_nothing_to_compare: () => verify({ photo: fs.readFileSync(plan.verify_photo) }),
  verify_unknown_object: () => verify({ photo: fs.readFileSync(plan.verify_photo), object_id: 'NO-SUCH-OBJECT' }),
  health_server: () => unary(new health.Health(address, credentials), 'Check', { service: '' }, null, deadline()).then(r => ({ status: r.status })),
  health_artmatch: () => unary(new health.Health(address, credentials), 'Check', { service: 'artmatch.v1.ArtMatch' }, null, deadline()).then(r => ({ status: r.status })),
  reflection: reflect,
};

(async () => {
  // In this order: the partner's object exists between partner_upsert and admin_delete.
  const results = {};
  for (const [name, run] of Object.entries(scenarios)) {
    try {
      results[name] = { code: 'OK', ...(await run()) };
    } catch (error) {
      if (typeof error.code !== 'number') throw error;
      results[name] = { code: codeName(error.code), details: error.details };
    }
  }
  console.log(JSON.stringify(results));
  process.exit(0);
})();
