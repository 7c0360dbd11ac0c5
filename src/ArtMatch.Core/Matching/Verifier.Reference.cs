using ArtMatch.Core.Embedding;
using ArtMatch.Core.Imaging;
using ArtMatch.Core.Keypoints;
using ArtMatch.Core.Sift;

namespace ArtMatch.Core.Matching;

public sealed partial class Verifier
{
    /// <summary>Long side of the reference copy the colour check reads (as Match's).</summary>
    private const int ThumbnailLongSide = 160;

    /// <summary>
    /// A reference described as the catalogue describes its pictures: whole and regional vectors
    /// (<see cref="Vectors"/>, whole first), local features, keypoints (matched exhaustively, picture
    /// to picture) and a small copy for the colour check.
    /// </summary>
    private sealed record ReferencePicture(string ImageId, IReadOnlyList<float[]> Vectors, LocalFeatures? Local, int Width, int Height,
                                           KeypointSet? Keypoints, RgbImage Thumbnail)
    {
        public FeatureSet? Sift { get; init; }
    }

    private ReferencePicture DescribeReference(string imageId, RgbImage picture)
    {
        var description = Describer.Describe(picture, includeRegions: true, forCatalogue: true);
        double shrink = Math.Min(1.0, (double)ThumbnailLongSide / Math.Max(picture.Width, picture.Height));
        var thumbnail = ImageOps.Resize(picture, Math.Max(1, (int)Math.Round(picture.Width * shrink)), Math.Max(1, (int)Math.Round(picture.Height * shrink)));
        return new ReferencePicture(imageId, description.AllVectors(), Describer.LocalFeaturesOf(picture), picture.Width, picture.Height, description.Keypoints, thumbnail)
        {
            Sift = SiftOf(picture),
        };
    }

    /// <summary>
    /// The reference picture's outline carried into the photo by the agreed transform (reference
    /// pixels to the checked frame's pixels), then from that frame (a region, a turned copy) to the
    /// decoded photo's pixels, clipped to the photo.
    /// </summary>
    private static PixelRect? MatchedRegion(SimilarityTransform transform, PictureFrame frame, DescribedPhoto photo, ReferencePicture reference)
    {
        var corners = new[] { (0.0, 0.0), (reference.Width, 0.0), (0.0, reference.Height), (reference.Width, reference.Height) }
            .Select(c => transform.Apply(c.Item1, c.Item2))
            .Select(p => ToPhoto(p.X, p.Y, frame, photo))
            .ToList();
        double x0 = Math.Max(0, corners.Min(p => p.X)), y0 = Math.Max(0, corners.Min(p => p.Y));
        double x1 = Math.Min(photo.Image.Width, corners.Max(p => p.X)), y1 = Math.Min(photo.Image.Height, corners.Max(p => p.Y));
        if (x1 - x0 < 1 || y1 - y0 < 1)
            return null;
        return new PixelRect((int)x0, (int)y0, (int)Math.Ceiling(x1 - x0), (int)Math.Ceiling(y1 - y0));
    }

    /// <summary>A point of the checked frame in the decoded photo's pixels.</summary>
    private static (double X, double Y) ToPhoto(double x, double y, PictureFrame frame, DescribedPhoto photo)
    {
        var turn = photo.Description.Turns.FirstOrDefault(t => ReferenceEquals(t.Picture, frame.Pixels));
        if (turn is null)
            return ((x + frame.OffsetX) * frame.Scale, (y + frame.OffsetY) * frame.Scale);
        // Undo the quarter turns (ImageOps.TurnClockwise) on the unturned copy's size, then scale to the photo.
        int turns = turn.QuarterTurns % 4;
        double w = turns == 2 ? turn.Picture.Width : turn.Picture.Height, h = turns == 2 ? turn.Picture.Height : turn.Picture.Width;
        var (ux, uy) = turns switch { 1 => (y, h - x), 2 => (w - x, h - y), _ => (w - y, x) };
        return (ux * photo.Image.Width / w, uy * photo.Image.Height / h);
    }
}
