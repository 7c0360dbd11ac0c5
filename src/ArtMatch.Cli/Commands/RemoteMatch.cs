using ArtMatch.Grpc;
using Grpc.Core;
using Spectre.Console;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Cli.Commands;

/// <summary>`match --server`: the same question asked of a running server, through the generated gRPC client.</summary>
internal static class RemoteMatch
{
    public static int Run(string address, string? apiKey, byte[] photo, int top, string[]? registries, bool json)
    {
        using var channel = ArtMatchChannel.ForAddress(address);
        var client = channel.CreateArtMatchClient(apiKey);
        var request = new Wire.MatchRequest { Photo = Google.Protobuf.ByteString.CopyFrom(photo), TopK = top, Filter = new Wire.Filter() };
        request.Filter.Registries.AddRange(registries ?? []);
        Wire.MatchResponse response;
        try
        {
            response = client.Match(request, deadline: DateTime.UtcNow.AddSeconds(60));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            throw new InvalidOperationException($"cannot reach {address}: {e.Status.Detail}");
        }
        catch (RpcException e)
        {
            throw new InvalidOperationException($"server answered {e.StatusCode}: {e.Status.Detail}");
        }
        if (json)
        {
            Console.WriteLine(Google.Protobuf.JsonFormatter.Default.Format(response));
            return 0;
        }
        AnsiConsole.MarkupLineInterpolated($"verdict: [bold]{response.Verdict}[/] (best score {response.BestScore:F3}, {response.ElapsedMs:F0} ms on the server, {response.ModelId})");
        var table = new Table().AddColumns("#", "object id", "title", "registry", "score", "verdict");
        int rank = 1;
        foreach (var c in response.Candidates)
            table.AddRow((rank++).ToString(), Markup.Escape(c.Object.ObjectId), Markup.Escape(c.Object.Title), Markup.Escape(c.Object.Registry), c.Score.ToString("F3"), c.Verdict.ToString());
        AnsiConsole.Write(table);
        return 0;
    }
}
