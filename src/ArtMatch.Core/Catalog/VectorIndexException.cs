namespace ArtMatch.Core.Catalog;

/// <summary>
/// The vector index failed or refuses: a server that cannot be reached (<see cref="Unavailable"/>: try
/// again later, gRPC UNAVAILABLE at the edge) or one holding vectors of another model (a deployment
/// error, with what to do in the message).
/// </summary>
public sealed class VectorIndexException(string message, bool unavailable = false, Exception? inner = null) : Exception(message, inner)
{
    public bool Unavailable { get; } = unavailable;
}
