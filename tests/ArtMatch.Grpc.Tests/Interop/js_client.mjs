// Calls the test echo, health and reflection services through @grpc/grpc-js (the pure JavaScript
// gRPC client), so the server is checked against an implementation that is not ours.
//
// Usage: node js_client.mjs PORT SCENARIO PROTO_DIR
// PROTO_DIR holds echo.proto, health.proto and reflection.proto. Prints one JSON object: what the
// call returned, or {"code": NAME, "details": TEXT} on an error.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import path from 'node:path';

const [port, scenario, protoDir] = process.argv.slice(2);
const timeoutMs = 30_000; // only a guard against a hung server

function load(file) {
  const definition = protoLoader.loadSync(path.join(protoDir, file), { keepCase: true, longs: Number, enums: String, defaults: true });
  return grpc.loadPackageDefinition(definition);
}

const address = `127.0.0.1:${port}`;
const credentials = grpc.credentials.createInsecure();
const deadline = (ms = timeoutMs) => ({ deadline: new Date(Date.now() + ms) });
const codeName = (code) => Object.keys(grpc.status).find((name) => grpc.status[name] === code);

function unary(client, method, request, options = deadline()) {
  return new Promise((resolve, reject) => client[method](request, options, (error, reply) => (error ? reject(error) : resolve(reply))));
}

function collect(call) {
  return new Promise((resolve, reject) => {
    const replies = [];
    call.on('data', (reply) => replies.push(reply));
    call.on('error', reject);
    call.on('end', () => resolve(replies));
  });
}

async function run() {
  const echo = new (load('echo.proto').test.echo.v1.Echo)(address, credentials);
  switch (scenario) {
    case 'unary':
      return { text: (await unary(echo, 'Say', { text: 'hello from node' })).text };
    case 'server_stream': {
      const replies = await collect(echo.Expand({ text: 'tick', repeat: 3 }, deadline()));
      return { replies: replies.map((r) => [r.text, r.index]) };
    }
    case 'client_stream': {
      const reply = await new Promise((resolve, reject) => {
        const call = echo.Collect(deadline(), (error, r) => (error ? reject(error) : resolve(r)));
        for (const text of ['a', 'b', 'c']) call.write({ text });
        call.end();
      });
      return { text: reply.text, count: reply.index };
    }
    case 'bidi': {
      // Each request goes out only after the previous reply came back: a true duplex exchange.
      const call = echo.Chat(deadline());
      const replies = [];
      const next = () => new Promise((resolve, reject) => {
        call.once('data', resolve);
        call.once('error', reject);
      });
      for (const text of ['one', 'two', 'three']) {
        call.write({ text });
        const reply = await next();
        replies.push([reply.text, reply.index]);
      }
      call.end();
      await new Promise((resolve) => call.on('end', resolve));
      return { replies };
    }
    case 'deadline':
      // Long enough that the call reaches the server even on a loaded CI machine, so the server's cancellation is seen.
      await unary(echo, 'Sleep', { text: 'zzz' }, deadline(3000));
      return { unexpected: 'Sleep returned' };
    case 'error':
      await unary(echo, 'Fail', { code: 5, text: 'no object \u00ab42\u00bb, 100% sure' });
      return { unexpected: 'Fail returned' };
    case 'health': {
      const health = new (load('health.proto').grpc.health.v1.Health)(address, credentials);
      return { status: (await unary(health, 'Check', { service: '' })).status };
    }
    case 'reflection': {
      const reflection = new (load('reflection.proto').grpc.reflection.v1alpha.ServerReflection)(address, credentials);
      const call = reflection.ServerReflectionInfo(deadline());
      const replies = collect(call);
      call.write({ list_services: '' });
      call.end();
      const [listed] = await replies;
      return { services: listed.list_services_response.service.map((s) => s.name) };
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

try {
  console.log(JSON.stringify(await run()));
} catch (error) {
  if (typeof error.code !== 'number') throw error;
  console.log(JSON.stringify({ code: codeName(error.code), details: error.details }));
}
process.exit(0);
