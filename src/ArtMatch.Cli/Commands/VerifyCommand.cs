using System.CommandLine;
using ArtMatch.Grpc;
using Grpc.Core;
using Spectre.Console;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Cli.Commands;

/// <summary>`artmatch verify PHOTO --against IMAGE|--object ID`: 1:1, locally or through a server's Verify.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("photo") { Description = "Photo of the object presented" };
        var against = new Option<string?>("--against") { Description = "Reference picture to verify against (e.g. the export certificate's photo)" };
        var objectId = new Option<string?>("--object") { Description = "Catalogued object to verify against (each of its pictures; the best counts)" };
        var store = CliSupport.StoreOption(required: false);
        var server = new Option<string?>("--server") { Description = "Ask a running server (HOST:PORT) over gRPC instead of opening a store" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --server (or ARTMATCH_API_KEY)" };
        var json = CliSupport.JsonOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("verify", "Is the photographed object the one on a reference picture (an export certificate's photo) or a catalogued object? "
            + "same (exit 0), uncertain (exit 4: an officer compares) or different (exit 5), with the evidence; other errors exit 1")
            { image, against, objectId, store, server, apiKey, json, config, CliSupport.IndexOption() };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            if ((parse.GetValue(against) is null) == (parse.GetValue(objectId) is null))
                throw new ArgumentException("Give exactly one of --against IMAGE (a reference picture) or --object ID (a catalogued object).");
            var photo = CliSupport.ReadImage(parse.GetValue(image)!);
            var request = new Wire.VerifyRequest { Photo = Google.Protobuf.ByteString.CopyFrom(photo) };
            if (parse.GetValue(against) is { } reference)
                request.ReferencePicture = Google.Protobuf.ByteString.CopyFrom(CliSupport.ReadImage(reference));
            else
                request.ObjectId = parse.GetValue(objectId)!;
            var response = parse.GetValue(server) is { } address
                ? Remote(address, parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("ARTMATCH_API_KEY"), request)
                : Local(parse, config, store, request);
            if (parse.GetValue(json))
                Console.WriteLine(Google.Protobuf.JsonFormatter.Default.Format(response));
            else
                Print(response);
            return response.Verdict == Wire.VerifyVerdict.Same ? 0 : response.Verdict == Wire.VerifyVerdict.Uncertain ? 4 : 5;
        }));
        return command;
    }

    private static Wire.VerifyResponse Local(ParseResult parse, Option<string?> config, Option<string> store, Wire.VerifyRequest request)
    {
        // A reference picture alone needs no catalogue: an empty scratch store serves then.
        string? scratch = null;
        var storeDir = parse.GetValue(store) ?? (request.AgainstCase == Wire.VerifyRequest.AgainstOneofCase.ObjectId
            ? throw new ArgumentException("--object needs --store DIR (an embedded catalogue store) or --server HOST:PORT.")
            : scratch = Directory.CreateTempSubdirectory("artmatch-verify-").FullName);
        try
        {
            using var engine = CliSupport.Engine(parse, config).OpenStore(storeDir);
            var verifier = engine.RequireVerifier();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var photo = verifier.Describe(request.Photo.Span);
            var result = request.AgainstCase == Wire.VerifyRequest.AgainstOneofCase.ReferencePicture
                ? verifier.VerifyAgainst(photo, request.ReferencePicture.Span)
                : verifier.VerifyObject(photo, request.ObjectId);
            return Server.Api.VerifyMapping.ToApi(result, engine.RequireMatcher().Settings.Verification.Thresholds, engine.Describer.VectorSpaceId, clock.Elapsed.TotalMilliseconds);
        }
        finally
        {
            if (scratch is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    private static Wire.VerifyResponse Remote(string address, string? apiKey, Wire.VerifyRequest request)
    {
        using var channel = ArtMatchChannel.ForAddress(address);
        try
        {
            return channel.CreateArtMatchClient(apiKey).Verify(request, deadline: DateTime.UtcNow.AddSeconds(60));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            throw new InvalidOperationException($"cannot reach {address}: {e.Status.Detail}");
        }
        catch (RpcException e)
        {
            throw new InvalidOperationException($"server answered {e.StatusCode}: {e.Status.Detail}");
        }
    }

    private static void Print(Wire.VerifyResponse r)
    {
        string colour = r.Verdict switch { Wire.VerifyVerdict.Same => "green", Wire.VerifyVerdict.Uncertain => "yellow", _ => "red" };
        AnsiConsole.MarkupLineInterpolated($"verdict: [bold {colour}]{r.Verdict.ToString().ToLowerInvariant()}[/] (score {r.Score:F3}; same >= {r.SameThreshold:F3}, uncertain >= {r.UncertainThreshold:F3}; {r.ElapsedMs:F0} ms, {r.ModelId})");
        AnsiConsole.MarkupLineInterpolated($"evidence: similarity {r.Similarity:F3}, {r.Inliers} CNN inliers, {r.KeypointInliers} keypoint inliers, {r.SiftInliers} SIFT inliers, colour shift {(r.HasColourShift ? r.ColourShift.ToString("F2") : "not judged")}");
        if (r.MatchedRegion is { } region)
            AnsiConsole.MarkupLineInterpolated($"matched region: x {region.X}, y {region.Y}, {region.Width} x {region.Height} of the {r.PhotoWidth} x {r.PhotoHeight} photo; picture {r.MatchedImageId[..Math.Min(12, r.MatchedImageId.Length)]}");
    }
}
