using System.Threading.Channels;
using ArtMatch.Core.Matching;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    private const int MaxTopK = 50;

    [RequiresRole(ApiRole.Officer)]
    public override async Task<Wire.MatchResponse> Match(Wire.MatchRequest request, ServerCallContext context) =>
        ApiMapping.ToApi(await MatchAsync(request.Photo.Memory, request.TopK, request.Filter, context, context.CancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Photos are matched in parallel (one per core) while more arrive; results go back as they
    /// finish. A photo the domain refuses (not an image, too large) gets its status inline; anything
    /// else fails the stream.
    /// </summary>
    [RequiresRole(ApiRole.Officer)]
    public override async Task ScreenBatch(IAsyncStreamReader<Wire.ScreenItem> requestStream, IServerStreamWriter<Wire.ScreenResult> responseStream,
        ServerCallContext context)
    {
        var pending = Channel.CreateBounded<Wire.ScreenItem>(Environment.ProcessorCount * 2);
        // The framework's writer takes one message at a time; the workers finish in any order.
        using var writeLock = new SemaphoreSlim(1, 1);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var item in pending.Reader.ReadAllAsync(failed.Token).ConfigureAwait(false))
                {
                    var result = await ScreenOneAsync(item, context, failed.Token).ConfigureAwait(false);
                    await writeLock.WaitAsync(failed.Token).ConfigureAwait(false);
                    try
                    {
                        await responseStream.WriteAsync(result, failed.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        writeLock.Release();
                    }
                }
            }
            catch
            {
                // Stop reading the caller's stream too: the first failure is the call's answer.
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        })).ToList();
        try
        {
            while (await requestStream.MoveNext(failed.Token).ConfigureAwait(false))
                await pending.Writer.WriteAsync(requestStream.Current, failed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // A worker failed; Task.WhenAll below rethrows its exception.
        }
        finally
        {
            pending.Writer.TryComplete();
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private async Task<Wire.ScreenResult> ScreenOneAsync(Wire.ScreenItem item, ServerCallContext context, CancellationToken cancellation)
    {
        var result = new Wire.ScreenResult { CallerId = item.CallerId };
        try
        {
            result.Result = ApiMapping.ToApi(await MatchAsync(item.Photo.Memory, item.TopK, item.Filter, context, cancellation).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException && DomainStatus.Of(e) is { } status)
        {
            result.Error = new Wire.ScreenError { Code = (int)status.StatusCode, Message = status.Detail };
        }
        return result;
    }

    /// <summary>
    /// Runs CPU-bound photo work under admission control: admitted (or refused RESOURCE_EXHAUSTED)
    /// before any pixel is decoded, then off the request thread, cancelled with the call (its deadline
    /// or the caller leaving) inside the decode and between the matcher's stages. Work on a worker lent
    /// beyond the caller's share stops when the worker is taken back for another caller, waits first in
    /// the queue, and starts over.
    /// </summary>
    private async Task<T> RunAdmittedAsync<T>(ServerCallContext context, long bytes, CancellationToken cancellation, Func<CancellationToken, T> work)
    {
        using var slot = await admission.EnterAsync(context.CallerKey(), bytes, cancellation).ConfigureAwait(false);
        while (true)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellation, slot.Reclaimed);
            try
            {
                return await Task.Run(() => work(either.Token), either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested && slot.Reclaimed.IsCancellationRequested)
            {
                metrics.RecordReclaim();
                await slot.WaitForWorkerAgainAsync(cancellation).ConfigureAwait(false);
            }
        }
    }

    private async Task<MatchResult> MatchAsync(ReadOnlyMemory<byte> photo, int topK, Wire.Filter? filter, ServerCallContext context, CancellationToken cancellation)
    {
        if (photo.IsEmpty)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "photo is empty: send the image bytes (JPEG, PNG, WebP, TIFF, GIF or HEIC)."));
        if (topK < 0 || topK > MaxTopK)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"top_k must be between 1 and {MaxTopK} (0 means 5)."));
        var request = new MatchRequest { TopK = topK == 0 ? 5 : topK, Filter = ApiMapping.ToDomain(filter) };
        var matcher = engine.RequireMatcher();
        var result = await RunAdmittedAsync(context, photo.Length, cancellation, token =>
        {
            var result = matcher.Match(photo.Span, request, token);
            metrics.RecordMatch(result.Timings);
            return result;
        }).ConfigureAwait(false);
        // Every Match is audited (who, when, which photo, the verdict), in the store's hash-chained log.
        Store.Audit(context.CallerName(), "match", result.Best?.ObjectId, FormattableString.Invariant(
            $"verdict={result.Verdict}; best_score={result.BestScore:0.####}; candidates={result.Candidates.Count}; photo_sha256={Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(photo.Span))}"));
        return result;
    }
}
