#!/usr/bin/python3
"""An independent ArtMatch client on Debian's python3-grpcio (the gRPC C-core), driven by the
server's interop tests against a running `artmatch serve`.

Usage: client.py STUBS_DIR ADDRESS PLAN.json
STUBS_DIR holds artmatch/v1/artmatch_pb2, health_pb2 and reflection_pb2 made at test time by
Debian's protoc (protobuf-compiler, the same release as python3-protobuf); calls go through grpcio's
generic channel API, so no gRPC code generator is needed. PLAN.json names the photos, keys, object id and (for TLS) the
root certificate. Runs every scenario once and prints one JSON object: scenario -> outcome, where an
outcome is {"code": "OK"|STATUS_NAME, "details": TEXT, ...what the call returned}.
"""
import json
import sys
import time

import grpc

stubs, address, plan_path = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, stubs)
from google.protobuf import descriptor_pb2  # noqa: E402

from artmatch.v1 import artmatch_pb2 as api  # noqa: E402
import health_pb2  # noqa: E402
import reflection_pb2  # noqa: E402

plan = json.load(open(plan_path))
keys = plan["keys"]
GUARD = 600  # seconds; only a guard against a hung server (a loaded one-core machine is slow, not hung)
options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
if plan.get("root_cert"):
    credentials = grpc.ssl_channel_credentials(root_certificates=open(plan["root_cert"], "rb").read())
    channel = grpc.secure_channel(address, credentials, options=options)
else:
    channel = grpc.insecure_channel(address, options=options)


class ArtMatch:
    """The artmatch.v1.ArtMatch methods on the channel, as a generated stub would offer them."""

    def __init__(self):
        for name, request, response in [("Match", api.MatchRequest, api.MatchResponse),
                                         ("UpsertObject", api.UpsertObjectRequest, api.UpsertObjectResponse),
                                         ("AddImages", api.AddImagesRequest, api.UpsertObjectResponse),
                                         ("DeleteObject", api.DeleteObjectRequest, api.DeleteObjectResponse),
                                         ("GetObject", api.GetObjectRequest, api.GetObjectResponse),
                                         ("SearchObjects", api.SearchObjectsRequest, api.SearchObjectsResponse),
                                         ("Verify", api.VerifyRequest, api.VerifyResponse)]:
            setattr(self, name, channel.unary_unary("/artmatch.v1.ArtMatch/" + name, request_serializer=request.SerializeToString,
                                                    response_deserializer=response.FromString))
        self.ScreenBatch = channel.stream_stream("/artmatch.v1.ArtMatch/ScreenBatch", request_serializer=api.ScreenItem.SerializeToString,
                                                 response_deserializer=api.ScreenResult.FromString)


stub = ArtMatch()


def key(role):
    return [("authorization", "Bearer " + keys[role])] if role else []


def read(path):
    return open(path, "rb").read()


def top(response):
    first = response.candidates[0] if response.candidates else None
    return {"verdict": api.Verdict.Name(response.verdict), "object_id": first.object.object_id if first else "",
            "candidates": len(response.candidates)}


def outcome(call):
    try:
        return {"code": "OK", **(call() or {})}
    except grpc.RpcError as e:
        return {"code": e.code().name, "details": e.details()}


def screen():
    items = (api.ScreenItem(caller_id=f"photo-{i}", photo=read(p), top_k=1) for i, p in enumerate(plan["photos"]))
    results = list(stub.ScreenBatch(items, metadata=key("officer"), timeout=GUARD))
    return {"results": [{"caller_id": r.caller_id, "object_id": r.result.candidates[0].object.object_id if r.HasField("result") and r.result.candidates else "",
                         "error_code": r.error.code} for r in results]}


def upsert(role, object_id):
    request = api.UpsertObjectRequest(object=api.CulturalObject(object_id=object_id, title="Interop reliquary", status=api.STOLEN))
    request.images.add(data=read(plan["upsert_photo"]), label="front")
    response = stub.UpsertObject(request, metadata=key(role), timeout=GUARD)
    return {"created": response.created, "images_added": response.images_added}


def verify(request):
    r = stub.Verify(request, metadata=key("officer"), timeout=GUARD)
    return {"verdict": api.VerifyVerdict.Name(r.verdict), "score": r.score, "inliers": r.inliers, "keypoint_inliers": r.keypoint_inliers,
            "matched_image_id": r.matched_image_id, "has_region": r.HasField("matched_region"), "same_threshold": r.same_threshold}


def health(service):
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                                response_deserializer=health_pb2.HealthCheckResponse.FromString)
    return {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(check(health_pb2.HealthCheckRequest(service=service), timeout=GUARD).status)}


def reflection():
    info = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                 request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                 response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol="artmatch.v1.ArtMatch")]
    listed, described = list(info(iter(requests), metadata=key("officer"), timeout=GUARD))
    file = descriptor_pb2.FileDescriptorProto.FromString(described.file_descriptor_response.file_descriptor_proto[0])
    return {"services": [s.name for s in listed.list_services_response.service], "file": file.name, "package": file.package,
            "methods": [m.name for s in file.service for m in s.method]}


def deadline_expired():
    """A Match whose 1 ms deadline passes, then the same key's next photo: the server counts the expired
    call against the caller's share until its work stops, so on a slow machine the next one may be
    refused as busy ("Retry"); it is sent again, backing off, as that message asks, and must be answered."""
    try:
        stub.Match(api.MatchRequest(photo=photo), metadata=key("officer"), timeout=0.001)
        expired = {}
    except grpc.RpcError as e:
        expired = {"code": e.code().name, "details": e.details()}
    wait = 0.05
    for _ in range(150):  # a guard against a share never given back, not a measurement
        try:
            stub.Match(api.MatchRequest(photo=photo, top_k=1), metadata=key("officer"), timeout=GUARD)
            return {**expired, "after": "OK"}
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or "Retry" not in (e.details() or ""):
                return {**expired, "after": e.code().name}
        time.sleep(wait)
        wait = min(wait * 2, 5)
    return {**expired, "after": "still refused as busy"}


def unknown_method():
    call = channel.unary_unary("/artmatch.v1.ArtMatch/Nope", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    call(b"", metadata=key("admin"), timeout=GUARD)


photo = read(plan["photo"])
object_id = plan["object_id"]
match = lambda request, role="officer", **kw: top(stub.Match(request, metadata=key(role), timeout=GUARD, **kw))  # noqa: E731
scenarios = {
    "match": lambda: match(api.MatchRequest(photo=photo, top_k=3)),
    "match_gzip": lambda: match(api.MatchRequest(photo=photo, top_k=3), compression=grpc.Compression.Gzip),
    "match_10mb": lambda: match(api.MatchRequest(photo=read(plan["big_photo"]), top_k=3)),
    "screen_20": screen,
    "deadline_expired": deadline_expired,
    "not_an_image": lambda: match(api.MatchRequest(photo=b"hello, not an image")),
    "empty_photo": lambda: match(api.MatchRequest(photo=b"")),
    "top_k_too_large": lambda: match(api.MatchRequest(photo=photo, top_k=500)),
    "not_found": lambda: stub.GetObject(api.GetObjectRequest(object_id="NO-SUCH-OBJECT"), metadata=key("officer"), timeout=GUARD) and None,
    "over_limit": lambda: match(api.MatchRequest(photo=bytes(33 << 20))),
    "unknown_method": unknown_method,
    "no_key": lambda: match(api.MatchRequest(photo=photo), role=None),
    "unknown_key": lambda: top(stub.Match(api.MatchRequest(photo=photo), metadata=[("authorization", "Bearer not-a-key-0123456789")], timeout=GUARD)),
    "officer_search": lambda: {"objects": len(stub.SearchObjects(api.SearchObjectsRequest(text="Title"), metadata=key("officer"), timeout=GUARD).objects)},
    "officer_upsert": lambda: upsert("officer", object_id),
    "partner_upsert": lambda: upsert("partner", object_id),
    "partner_add_images": lambda: {"images_added": stub.AddImages(api.AddImagesRequest(object_id=object_id, images=[api.ImageUpload(data=photo)]),
                                                                   metadata=key("partner"), timeout=GUARD).images_added},
    "partner_delete": lambda: {"deleted": stub.DeleteObject(api.DeleteObjectRequest(object_id=object_id), metadata=key("partner"), timeout=GUARD).deleted},
    "admin_delete": lambda: {"deleted": stub.DeleteObject(api.DeleteObjectRequest(object_id=object_id), metadata=key("admin"), timeout=GUARD).deleted},
    "verify_same": lambda: verify(api.VerifyRequest(photo=read(plan["verify_photo"]), reference_picture=read(plan["verify_reference"]))),
    "verify_same_object": lambda: verify(api.VerifyRequest(photo=read(plan["verify_photo"]), object_id=plan["verify_object_id"])),
    "verify_different": lambda: verify(api.VerifyRequest(photo=read(plan["verify_photo"]), reference_picture=read(plan["verify_other"]))),
    "verify_bad_image": lambda: verify(api.VerifyRequest(photo=b"hello, not an image", reference_picture=read(plan["verify_reference"]))),
    "verify_bad_reference": lambda: verify(api.VerifyRequest(photo=read(plan["verify_photo"]), reference_picture=b"hello, not an image")),
    "verify_nothing_to_compare": lambda: verify(api.VerifyRequest(photo=read(plan["verify_photo"]))),
    "verify_unknown_object": lambda: verify(api.VerifyRequest(photo=read(plan["verify_photo"]), object_id="NO-SUCH-OBJECT")),
    "health_server": lambda: health(""),
    "health_artmatch": lambda: health("artmatch.v1.ArtMatch"),
    "reflection": reflection,
}
# In this order: the partner's object exists between partner_upsert and admin_delete.
results = {name: outcome(call) for name, call in scenarios.items()}
channel.close()
print(json.dumps(results))
