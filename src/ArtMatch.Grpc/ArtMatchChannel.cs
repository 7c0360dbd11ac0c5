using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Client = ArtMatch.Grpc.Api.V1.ArtMatch.ArtMatchClient;

namespace ArtMatch.Grpc;

/// <summary>
/// Opens a Grpc.Net.Client channel to an ArtMatch server the way the CLI and the load generator do:
/// "host:port" means cleartext HTTP/2 (h2c), an https:// address TLS; messages up to the server's
/// own limit both ways; an API key sent as <c>authorization: Bearer &lt;key&gt;</c> on every call.
/// </summary>
public static class ArtMatchChannel
{
    /// <summary>Larger than the server's limit (32 MB), so that the server, not the client, says what is too large.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    /// <summary>"host:port" as http://host:port; an address with a scheme as it is.</summary>
    public static Uri ParseAddress(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        return new Uri(address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address);
    }

    public static GrpcChannel ForAddress(string address, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress(ParseAddress(address), new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });

    /// <summary>The generated client on <paramref name="channel"/>, sending <paramref name="apiKey"/> when one is given.</summary>
    public static Client CreateArtMatchClient(this ChannelBase channel, string? apiKey = null) =>
        new(apiKey is null ? channel.CreateCallInvoker() : channel.Intercept(metadata => WithApiKey(metadata, apiKey)));

    // An interceptor rather than CallCredentials: those are refused on cleartext channels, which a
    // server on a trusted network (or a test) uses.
    private static Metadata WithApiKey(Metadata metadata, string apiKey)
    {
        metadata.Add("authorization", "Bearer " + apiKey);
        return metadata;
    }
}
