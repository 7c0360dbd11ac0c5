namespace ArtMatch.Server.Hosting;

/// <summary>No catalogue to answer from yet: the server listens while its store opens. Answered UNAVAILABLE (retry later).</summary>
public sealed class CatalogueUnavailableException()
    : InvalidOperationException("The catalogue is still loading; retry when the health service reports artmatch.v1.ArtMatch SERVING.");
