using Microsoft.Extensions.Logging;

namespace ArtMatch.Server;

/// <summary>Every log line the server writes, source-generated, with stable event ids.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "{Method} failed with an unexpected exception; answered INTERNAL")]
    public static partial void UnexpectedError(ILogger logger, string method, Exception error);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Background task failed: {Task}")]
    public static partial void BackgroundTaskFailed(ILogger logger, string task, Exception error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "artmatch.v1.ArtMatch health: {Status}")]
    public static partial void Readiness(ILogger logger, string status);
}
