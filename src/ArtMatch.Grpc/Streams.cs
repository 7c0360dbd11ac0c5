namespace ArtMatch.Grpc;

/// <summary>Messages the client streams to the server, read one at a time.</summary>
public interface IAsyncStreamReader<T>
{
    /// <summary>Reads the next message; false at the end of the stream.</summary>
    Task<bool> MoveNext(CancellationToken cancellation);

    T Current { get; }
}

/// <summary>Messages the server streams back. Writes are serialised; concurrent calls wait their turn.</summary>
public interface IServerStreamWriter<in T>
{
    Task WriteAsync(T message, CancellationToken cancellation = default);
}

public static class AsyncStreamReaderExtensions
{
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this IAsyncStreamReader<T> reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        while (await reader.MoveNext(cancellation).ConfigureAwait(false))
            yield return reader.Current;
    }
}
