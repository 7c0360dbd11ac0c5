#!/usr/bin/python3
"""Calls the test echo, health and reflection services through Debian's python3-grpcio (the gRPC
C-core client), so the server is checked against an implementation that is not ours.

Usage: python_client.py PORT SCENARIO STUB_DIR
STUB_DIR holds echo_pb2*, health_pb2* and reflection_pb2* made by grpc_tools.protoc at test time.
Prints one JSON object: what the call returned, or {"code": NAME, "details": TEXT} on an error.
"""
import json
import sys

port, scenario, stub_dir = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, stub_dir)

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402

import echo_pb2  # noqa: E402
import echo_pb2_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import reflection_pb2  # noqa: E402
import reflection_pb2_grpc  # noqa: E402

TIMEOUT = 30  # seconds; only a guard against a hung server


def run(channel):
    echo = echo_pb2_grpc.EchoStub(channel)
    if scenario == "unary":
        reply = echo.Say(echo_pb2.EchoRequest(text="hello from python"), timeout=TIMEOUT)
        return {"text": reply.text}
    if scenario == "unary_gzip":
        reply = echo.Say(echo_pb2.EchoRequest(text="z" * 1000), timeout=TIMEOUT, compression=grpc.Compression.Gzip)
        return {"length": len(reply.text)}
    if scenario == "server_stream":
        replies = echo.Expand(echo_pb2.EchoRequest(text="tick", repeat=3), timeout=TIMEOUT)
        return {"replies": [[r.text, r.index] for r in replies]}
    if scenario == "client_stream":
        reply = echo.Collect(iter([echo_pb2.EchoRequest(text=t) for t in ("a", "b", "c")]), timeout=TIMEOUT)
        return {"text": reply.text, "count": reply.index}
    if scenario == "bidi":
        replies = echo.Chat(iter([echo_pb2.EchoRequest(text=t) for t in ("one", "two", "three")]), timeout=TIMEOUT)
        return {"replies": [[r.text, r.index] for r in replies]}
    if scenario == "deadline":
        # Long enough that the call reaches the server even on a loaded CI machine.
        echo.Sleep(echo_pb2.EchoRequest(text="zzz"), timeout=3)
        return {"unexpected": "Sleep returned"}
    if scenario == "error":
        echo.Fail(echo_pb2.EchoRequest(code=5, text="no object \u00ab42\u00bb, 100% sure"), timeout=TIMEOUT)
        return {"unexpected": "Fail returned"}
    if scenario == "unknown_method":
        call = channel.unary_unary("/test.echo.v1.Echo/Nope", request_serializer=lambda m: m, response_deserializer=lambda b: b)
        call(b"", timeout=TIMEOUT)
        return {"unexpected": "Nope returned"}
    if scenario == "health":
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT)
        return {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}
    if scenario == "reflection":
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="test.echo.v1.Echo"),
        ]
        listed, described = list(stub.ServerReflectionInfo(iter(requests), timeout=TIMEOUT))
        file = descriptor_pb2.FileDescriptorProto.FromString(described.file_descriptor_response.file_descriptor_proto[0])
        return {
            "services": [s.name for s in listed.list_services_response.service],
            "methods": [m.name for m in file.service[0].method],
        }
    raise SystemExit(f"unknown scenario {scenario!r}")


with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
    try:
        result = run(channel)
    except grpc.RpcError as error:
        result = {"code": error.code().name, "details": error.details()}
print(json.dumps(result))
