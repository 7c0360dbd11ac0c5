using ArtMatch.Grpc.Api.V1;
using Google.Protobuf;

namespace ArtMatch.Grpc.Tests;

/// <summary>The published artmatch.v1 contract: renaming or renumbering a field breaks every client.</summary>
public sealed class ApiContractTests
{
    [Fact]
    public void CulturalObject_Fields_ObjectIdStandardInWireOrder()
    {
        var fields = CulturalObject.Descriptor.Fields.InFieldNumberOrder().Select(f => (f.FieldNumber, f.Name));

        Assert.Equal(
        [
            (1, "object_id"), (2, "object_type"), (3, "object_subtype"), (4, "materials_and_techniques"), (5, "measurements"),
            (6, "inscriptions_and_markings"), (7, "distinguishing_features"), (8, "title"), (9, "subject"), (10, "date_or_period"),
            (11, "maker"), (12, "description"), (13, "inventory_number"), (14, "place_of_origin"), (15, "registry"),
            (16, "status"), (17, "country"), (18, "date_reported"), (19, "extra"),
        ], fields);
    }

    [Fact]
    public void ObjectStatus_Values_StableNumbers()
    {
        var values = ArtmatchReflection.Descriptor.EnumTypes.Single(e => e.Name == "ObjectStatus").Values.Select(v => (v.Number, v.Name));

        Assert.Equal([(0, "OBJECT_STATUS_UNSPECIFIED"), (1, "STOLEN"), (2, "MISSING"), (3, "RECOVERED"), (4, "RED_LIST_EXEMPLAR")], values);
    }

    [Fact]
    public void ArtMatchService_Methods_ShapesAsPublished()
    {
        var service = ArtmatchReflection.Descriptor.Services.Single();

        var methods = service.Methods.Select(m => (m.Name, m.IsClientStreaming, m.IsServerStreaming));

        Assert.Equal("artmatch.v1.ArtMatch", service.FullName);
        Assert.Equal(
        [
            ("Match", false, false), ("ScreenBatch", true, true), ("UpsertObject", false, false), ("AddImages", false, false),
            ("DeleteObject", false, false), ("GetObject", false, false), ("SearchObjects", false, false), ("Verify", false, false),
            ("CreateCase", false, false), ("UpdateCase", false, false), ("GetCase", false, false), ("ListCases", false, false),
        ], methods);
    }

    [Fact]
    public void MatchRequest_WithFilter_RoundTripsThroughBytes()
    {
        var request = new MatchRequest
        {
            Photo = ByteString.CopyFrom(0xFF, 0xD8, 0xFF),
            TopK = 5,
            Filter = new Filter { Registries = { "INTERPOL" }, Statuses = { ObjectStatus.Stolen, ObjectStatus.Missing }, Countries = { "IT" } },
        };

        var parsed = MatchRequest.Parser.ParseFrom(request.ToByteArray());

        Assert.Equal(request, parsed);
        Assert.Equal([ObjectStatus.Stolen, ObjectStatus.Missing], parsed.Filter.Statuses);
    }
}
