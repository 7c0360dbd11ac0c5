using System.Threading.Channels;
using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Matching;
using ArtMatch.Grpc;
using ArtMatch.Server.Hosting;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

/// <summary>The artmatch.v1.ArtMatch service: thin handlers over the engine's matcher, importer and store.</summary>
public sealed class ArtMatchApi(ArtMatchEngine engine)
{
    public const string ServiceName = "artmatch.v1.ArtMatch";
    private const int MaxTopK = 50;

    public GrpcServiceRegistry Register(GrpcServiceRegistry registry) => registry
        .AddFile(Wire.ArtmatchReflection.Descriptor)
        .AddUnary<Wire.MatchRequest, Wire.MatchResponse>(ServiceName, "Match", Wire.MatchRequest.Parser, Match)
        .AddDuplexStreaming<Wire.ScreenItem, Wire.ScreenResult>(ServiceName, "ScreenBatch", Wire.ScreenItem.Parser, ScreenBatch)
        .AddUnary<Wire.UpsertObjectRequest, Wire.UpsertObjectResponse>(ServiceName, "UpsertObject", Wire.UpsertObjectRequest.Parser, UpsertObject)
        .AddUnary<Wire.AddImagesRequest, Wire.UpsertObjectResponse>(ServiceName, "AddImages", Wire.AddImagesRequest.Parser, AddImages)
        .AddUnary<Wire.DeleteObjectRequest, Wire.DeleteObjectResponse>(ServiceName, "DeleteObject", Wire.DeleteObjectRequest.Parser, DeleteObject)
        .AddUnary<Wire.GetObjectRequest, Wire.GetObjectResponse>(ServiceName, "GetObject", Wire.GetObjectRequest.Parser, GetObject)
        .AddUnary<Wire.SearchObjectsRequest, Wire.SearchObjectsResponse>(ServiceName, "SearchObjects", Wire.SearchObjectsRequest.Parser, SearchObjects);

    private ICatalogStore Store => engine.RequireStore();

    private async Task<Wire.MatchResponse> Match(Wire.MatchRequest request, ServerCallContext context) =>
        ApiMapping.ToApi(await MatchAsync(request.Photo.Memory, request.TopK, request.Filter, context.CancellationToken).ConfigureAwait(false));

    private Task<MatchResult> MatchAsync(ReadOnlyMemory<byte> photo, int topK, Wire.Filter? filter, CancellationToken cancellation)
    {
        if (photo.IsEmpty)
            throw new RpcException(StatusCode.InvalidArgument, "photo is empty: send the image bytes (JPEG, PNG, WebP, TIFF, GIF or HEIC).");
        if (topK < 0 || topK > MaxTopK)
            throw new RpcException(StatusCode.InvalidArgument, $"top_k must be between 1 and {MaxTopK} (0 means 5).");
        var request = new MatchRequest { TopK = topK == 0 ? 5 : topK, Filter = ApiMapping.ToDomain(filter) };
        // Decoding and inference are CPU-bound: run them off the request thread, still cancellable.
        return Task.Run(() => Guard(() => engine.RequireMatcher().Match(photo.Span, request, cancellation)), cancellation);
    }

    private async Task ScreenBatch(IAsyncStreamReader<Wire.ScreenItem> items, IServerStreamWriter<Wire.ScreenResult> results, ServerCallContext context)
    {
        // Photos are matched in parallel (one per core) while more arrive; results go back as they finish.
        var pending = Channel.CreateBounded<Wire.ScreenItem>(Environment.ProcessorCount * 2);
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            await foreach (var item in pending.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                var result = new Wire.ScreenResult { CallerId = item.CallerId };
                try
                {
                    result.Result = ApiMapping.ToApi(await MatchAsync(item.Photo.Memory, item.TopK, item.Filter, context.CancellationToken).ConfigureAwait(false));
                }
                catch (RpcException e)
                {
                    result.Error = new Wire.ScreenError { Code = (int)e.StatusCode, Message = e.Status.Detail };
                }
                await results.WriteAsync(result, context.CancellationToken).ConfigureAwait(false);
            }
        })).ToList();
        try
        {
            while (await items.MoveNext(context.CancellationToken).ConfigureAwait(false))
                await pending.Writer.WriteAsync(items.Current, context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            pending.Writer.TryComplete();
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private async Task<Wire.UpsertObjectResponse> UpsertObject(Wire.UpsertObjectRequest request, ServerCallContext context)
    {
        if (request.Object is null)
            throw new RpcException(StatusCode.InvalidArgument, "object is required.");
        var record = ApiMapping.ToDomain(request.Object);
        var images = await DescribeAsync(request.Images, context.CancellationToken).ConfigureAwait(false);
        var result = Store.Upsert(record, images, context.Caller);
        engine.RefreshWhiteningInBackground();
        return ToApi(result);
    }

    private async Task<Wire.UpsertObjectResponse> AddImages(Wire.AddImagesRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.ObjectId))
            throw new RpcException(StatusCode.InvalidArgument, "object_id is required.");
        if (request.Images.Count == 0)
            throw new RpcException(StatusCode.InvalidArgument, "images is empty: send at least one photo.");
        if (Store.Get(request.ObjectId) is null)
            throw new RpcException(StatusCode.NotFound, $"No object '{request.ObjectId}' in the catalogue.");
        var images = await DescribeAsync(request.Images, context.CancellationToken).ConfigureAwait(false);
        try
        {
            var result = Store.AddImages(request.ObjectId, images, context.Caller);
            engine.RefreshWhiteningInBackground();
            return ToApi(result);
        }
        catch (KeyNotFoundException e)
        {
            throw new RpcException(StatusCode.NotFound, e.Message);
        }
    }

    /// <summary>Every photo is decoded and embedded before anything is written: one bad photo refuses the whole request.</summary>
    private Task<List<NewImage>> DescribeAsync(IEnumerable<Wire.ImageUpload> uploads, CancellationToken cancellation)
    {
        var list = uploads.ToList();
        return Task.Run(() => list.Select((upload, index) => Guard(() =>
        {
            if (upload.Data.IsEmpty)
                throw new RpcException(StatusCode.InvalidArgument, $"images[{index}] is empty.");
            try
            {
                return engine.Importer!.Describe(upload.Data.ToByteArray(), upload.Label.Length > 0 ? upload.Label : null);
            }
            catch (ImageDecodeException e)
            {
                throw new ImageDecodeException(e.Kind, $"images[{index}]: {e.Message}", e);
            }
        })).ToList(), cancellation);
    }

    private Task<Wire.DeleteObjectResponse> DeleteObject(Wire.DeleteObjectRequest request, ServerCallContext context)
    {
        bool deleted = Store.Delete(request.ObjectId, context.Caller);
        if (!deleted)
            throw new RpcException(StatusCode.NotFound, $"No object '{request.ObjectId}' in the catalogue.");
        engine.RefreshWhiteningInBackground();
        return Task.FromResult(new Wire.DeleteObjectResponse { Deleted = true });
    }

    private Task<Wire.GetObjectResponse> GetObject(Wire.GetObjectRequest request, ServerCallContext context)
    {
        var record = Store.Get(request.ObjectId) ?? throw new RpcException(StatusCode.NotFound, $"No object '{request.ObjectId}' in the catalogue.");
        var response = new Wire.GetObjectResponse { Object = ApiMapping.ToApi(record) };
        response.Images.AddRange(Store.GetImages(request.ObjectId).Select(i => new Wire.StoredImage { ImageId = i.ImageId, Label = i.Label ?? "", Width = i.Width, Height = i.Height }));
        return Task.FromResult(response);
    }

    private Task<Wire.SearchObjectsResponse> SearchObjects(Wire.SearchObjectsRequest request, ServerCallContext context)
    {
        if (request.Limit < 0 || request.Limit > 500)
            throw new RpcException(StatusCode.InvalidArgument, "limit must be between 1 and 500 (0 means 20).");
        var found = Store.SearchText(request.Text, ApiMapping.ToDomain(request.Filter), request.Limit == 0 ? 20 : request.Limit);
        var response = new Wire.SearchObjectsResponse();
        response.Objects.AddRange(found.Select(ApiMapping.ToApi));
        return Task.FromResult(response);
    }

    private static Wire.UpsertObjectResponse ToApi(UpsertResult result) => new()
    {
        ObjectId = result.ObjectId, Created = result.Created, ImagesAdded = result.ImagesAdded, ImagesAlreadyPresent = result.ImagesAlreadyPresent,
    };

    /// <summary>Bad pictures become INVALID_ARGUMENT (or RESOURCE_EXHAUSTED when too large) with the decoder's reason; an unreachable vector index UNAVAILABLE.</summary>
    private static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ImageDecodeException e)
        {
            throw new RpcException(e.Kind == ImageErrorKind.TooLarge ? StatusCode.ResourceExhausted : StatusCode.InvalidArgument, e.Message);
        }
        catch (ArgumentException e)
        {
            throw new RpcException(StatusCode.InvalidArgument, e.Message);
        }
        catch (VectorIndexException e)
        {
            // The vector server (Qdrant) is down or slow: the caller may try again; anything else is ours to fix.
            throw new RpcException(e.Unavailable ? StatusCode.Unavailable : StatusCode.Internal, e.Message);
        }
    }
}
