using ArtMatch.Core.Catalog;
using ArtMatch.Core.Imaging;
using Grpc.Core;
using Wire = ArtMatch.Grpc.Api.V1;

namespace ArtMatch.Server.Api;

public sealed partial class ArtMatchService
{
    private const int MaxSearchLimit = 500;

    [RequiresRole(ApiRole.Partner)]
    public override async Task<Wire.UpsertObjectResponse> UpsertObject(Wire.UpsertObjectRequest request, ServerCallContext context)
    {
        if (request.Object is null)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "object is required."));
        var record = ApiMapping.ToDomain(request.Object);
        var images = await DescribeAsync(request.Images, context).ConfigureAwait(false);
        var result = Store.Upsert(record, images, context.CallerName());
        engine.RefreshWhiteningInBackground();
        return ToApi(result);
    }

    [RequiresRole(ApiRole.Partner)]
    public override async Task<Wire.UpsertObjectResponse> AddImages(Wire.AddImagesRequest request, ServerCallContext context)
    {
        string objectId = RequestLimits.ObjectId(request.ObjectId, "object_id");
        if (request.Images.Count == 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "images is empty: send at least one photo."));
        // Checked before the photos are described, which is the costly part; the store checks again.
        if (Store.Get(objectId) is null)
            throw new ObjectNotFoundException(objectId);
        var images = await DescribeAsync(request.Images, context).ConfigureAwait(false);
        var result = Store.AddImages(objectId, images, context.CallerName());
        engine.RefreshWhiteningInBackground();
        return ToApi(result);
    }

    [RequiresRole(ApiRole.Admin)]
    public override Task<Wire.DeleteObjectResponse> DeleteObject(Wire.DeleteObjectRequest request, ServerCallContext context)
    {
        string objectId = RequestLimits.ObjectId(request.ObjectId, "object_id");
        if (!Store.Delete(objectId, context.CallerName()))
            throw new ObjectNotFoundException(objectId);
        engine.RefreshWhiteningInBackground();
        return Task.FromResult(new Wire.DeleteObjectResponse { Deleted = true });
    }

    [RequiresRole(ApiRole.Officer)]
    public override Task<Wire.GetObjectResponse> GetObject(Wire.GetObjectRequest request, ServerCallContext context)
    {
        string objectId = RequestLimits.ObjectId(request.ObjectId, "object_id");
        var record = Store.Get(objectId) ?? throw new ObjectNotFoundException(objectId);
        var response = new Wire.GetObjectResponse { Object = ApiMapping.ToApi(record) };
        response.Images.AddRange(Store.GetImages(objectId).Select(i => new Wire.StoredImage
        {
            ImageId = i.ImageId, Label = i.Label ?? "", Width = i.Width, Height = i.Height,
        }));
        return Task.FromResult(response);
    }

    [RequiresRole(ApiRole.Officer)]
    public override Task<Wire.SearchObjectsResponse> SearchObjects(Wire.SearchObjectsRequest request, ServerCallContext context)
    {
        if (request.Limit < 0 || request.Limit > MaxSearchLimit)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"limit must be between 1 and {MaxSearchLimit} (0 means 20)."));
        if (request.Text.Length > RequestLimits.MaxSearchText)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"text is {request.Text.Length} characters; the limit is {RequestLimits.MaxSearchText}. Search for a title, maker or inventory number."));
        var found = Store.SearchText(request.Text, ApiMapping.ToDomain(request.Filter), request.Limit == 0 ? 20 : request.Limit);
        var response = new Wire.SearchObjectsResponse();
        response.Objects.AddRange(found.Select(ApiMapping.ToApi));
        return Task.FromResult(response);
    }

    /// <summary>Every photo is decoded and embedded before anything is written: one bad photo refuses the whole request.</summary>
    private async Task<List<NewImage>> DescribeAsync(IEnumerable<Wire.ImageUpload> uploads, ServerCallContext context)
    {
        var list = uploads.ToList();
        var importer = engine.RequireImporter();
        var cancellation = context.CancellationToken;
        using var slot = await admission.EnterAsync(context.CallerKey(), list.Sum(u => (long)u.Data.Length), cancellation).ConfigureAwait(false);
        // Cancelled with the call inside each decode and between photos: a request of many bombs stops at its deadline.
        return await Task.Run(() => list.Select((upload, index) =>
        {
            cancellation.ThrowIfCancellationRequested();
            if (upload.Data.IsEmpty)
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"images[{index}] is empty."));
            try
            {
                return importer.Describe(upload.Data.ToByteArray(), upload.Label.Length > 0 ? upload.Label : null, cancellation);
            }
            catch (ImageDecodeException e)
            {
                throw new ImageDecodeException(e.Kind, $"images[{index}]: {e.Message}", e);
            }
        }).ToList(), cancellation).ConfigureAwait(false);
    }

    private static Wire.UpsertObjectResponse ToApi(UpsertResult result) => new()
    {
        ObjectId = result.ObjectId, Created = result.Created, ImagesAdded = result.ImagesAdded, ImagesAlreadyPresent = result.ImagesAlreadyPresent,
    };
}
