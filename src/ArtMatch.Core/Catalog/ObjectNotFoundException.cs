namespace ArtMatch.Core.Catalog;

/// <summary>
/// The catalogue holds no object with this id. A caller's mistake (a stale or mistyped id), not the
/// store's: the server answers NOT_FOUND. Derives from <see cref="KeyNotFoundException"/>, which the
/// store threw before, so callers that catch that still do.
/// </summary>
public sealed class ObjectNotFoundException(string objectId, string? message = null)
    : KeyNotFoundException(message ?? $"No object '{objectId}' in the catalogue.")
{
    public string ObjectId { get; } = objectId;
}
