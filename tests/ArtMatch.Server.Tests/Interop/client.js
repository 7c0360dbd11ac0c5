// An independent ArtMatch client on @grpc/grpc-js, driven by the server tests.
// Usage: node client.js PROTOS_DIR ADDRESS COMMAND [ARGS...]; prints one JSON object per line.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [protos, address, command, ...rest] = process.argv.slice(2);
const key = rest.find(a => a.startsWith('key='));
const args = rest.filter(a => !a.startsWith('key='));
const metadata = new grpc.Metadata();
if (key) metadata.set('authorization', 'Bearer ' + key.slice(4));

const definition = protoLoader.loadSync(path.join(protos, 'artmatch/v1/artmatch.proto'), { includeDirs: [protos], keepCase: true, enums: String, longs: Number, defaults: true, oneofs: true });
const api = grpc.loadPackageDefinition(definition).artmatch.v1;
const client = new api.ArtMatch(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20, 'grpc.max_receive_message_length': 64 << 20 });
const deadline = seconds => ({ deadline: new Date(Date.now() + seconds * 1000) });
const print = value => console.log(JSON.stringify(value));
const fail = error => print({ code: grpc.status[error.code], details: error.details });

if (command === 'match') {
  client.Match({ photo: fs.readFileSync(args[0]), top_k: 3 }, metadata, deadline(120), (error, response) => {
    if (error) return fail(error);
    const top = response.candidates[0];
    print({ verdict: response.verdict, object_id: top ? top.object.object_id : '', score: response.best_score, candidates: response.candidates.length });
  });
} else if (command === 'deadline') {
  client.Match({ photo: fs.readFileSync(args[0]) }, metadata, { deadline: new Date(Date.now() + 1) }, error => error ? fail(error) : print({ code: 'OK' }));
} else if (command === 'screen') {
  const call = client.ScreenBatch(metadata, deadline(300));
  const results = [];
  call.on('data', r => results.push({ caller_id: r.caller_id, outcome: r.outcome, object_id: r.result && r.result.candidates.length ? r.result.candidates[0].object.object_id : '', error_code: r.error ? r.error.code : 0 }));
  call.on('error', fail);
  call.on('end', () => print({ results }));
  args.forEach((file, i) => call.write({ caller_id: `photo-${i}`, photo: fs.readFileSync(file), top_k: 1 }));
  call.end();
} else if (command === 'search') {
  client.SearchObjects({ text: args[0] }, metadata, deadline(30), (error, response) => error ? fail(error) : print({ objects: response.objects.map(o => o.object_id) }));
} else if (command === 'delete') {
  client.DeleteObject({ object_id: args[0] }, metadata, deadline(30), (error, response) => error ? fail(error) : print({ deleted: response.deleted }));
} else if (command === 'health') {
  const health = grpc.makeGenericClientConstructor({
    Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: b => b, requestDeserialize: b => b, responseSerialize: b => b, responseDeserialize: b => b },
  }, 'Health');
  new health(address, grpc.credentials.createInsecure()).Check(Buffer.alloc(0), deadline(10), (error, raw) => error ? fail(error) : print({ serving: raw.equals(Buffer.from([0x08, 0x01])) }));
} else {
  console.error('unknown command ' + command);
  process.exit(2);
}
