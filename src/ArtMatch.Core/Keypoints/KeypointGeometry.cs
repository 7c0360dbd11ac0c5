using ArtMatch.Core.Matching;

namespace ArtMatch.Core.Keypoints;

/// <summary>
/// Checks that descriptor matches between a photo and one catalogue picture agree on one similarity
/// transform. Each match alone proposes a transform (its two keypoints' scale, angle and position),
/// so every match is tried as a hypothesis: exact, deterministic, and cheap for the tens of matches
/// one picture gets. A hypothesis's inliers are refitted by least squares and counted again.
/// </summary>
/// <remarks>
/// A true match brings hundreds of matches, and every one is a hypothesis tested against all of them:
/// what each match contributes to a test (positions, its own scale change and turn, its tolerance) is
/// worked out once, inliers are collected into reused index buffers, and the costly functions (log,
/// remainder) are only called where the cheap comparison cannot decide. The answers are the same to
/// the bit as testing each hypothesis from the keypoints (KeypointGeometryTests keeps that version).
/// </remarks>
public static class KeypointGeometry
{
    public static (int Inliers, SimilarityTransform? Transform, IReadOnlyList<(int Query, int Catalogue)> Pairs) Verify(KeypointSet query, KeypointSet catalogue,
        IReadOnlyList<(int Query, int Catalogue)> matches, KeypointMatchSettings settings)
    {
        if (matches.Count == 0)
            return (0, null, []);
        var prepared = new Matches(query, catalogue, matches, settings);
        int n = matches.Count;
        int[] hypothesisInliers = new int[n], refinedInliers = new int[n], bestInliers = new int[n];
        int best = 0, bestCount = 0;
        SimilarityTransform? bestTransform = null;
        for (int k = 0; k < n; k++)
        {
            double scale = prepared.OwnScale[k], turn = prepared.OwnTurn[k];
            double ar = scale * Math.Cos(turn), ai = scale * Math.Sin(turn);
            double cx = prepared.CatalogueX[k], cy = prepared.CatalogueY[k];
            var hypothesis = new SimilarityTransform(ar, ai, prepared.QueryX[k] - (ar * cx - ai * cy), prepared.QueryY[k] - (ai * cx + ar * cy));
            int inliers = prepared.Inliers(hypothesis, hypothesisInliers);
            if (inliers < 2)
                continue;
            var refined = prepared.Fit(hypothesisInliers.AsSpan(0, inliers));
            int refinedCount = prepared.Inliers(refined, refinedInliers);
            var (pairs, count, transform) = refinedCount >= inliers ? (refinedInliers, refinedCount, refined) : (hypothesisInliers, inliers, hypothesis);
            int distinct = prepared.Distinct(pairs.AsSpan(0, count));
            if (distinct > best)
            {
                (best, bestTransform, bestCount) = (distinct, transform, count);
                pairs.AsSpan(0, count).CopyTo(bestInliers);
            }
        }
        if (best < 2)
            return (Math.Min(1, n), null, []);
        var bestPairs = new (int Query, int Catalogue)[bestCount];
        for (int i = 0; i < bestCount; i++)
            bestPairs[i] = matches[bestInliers[i]];
        return (best, bestTransform, bestPairs);
    }

    /// <summary>The matches as each hypothesis test reads them, worked out once per picture.</summary>
    private sealed class Matches
    {
        public readonly double[] QueryX, QueryY, CatalogueX, CatalogueY, OwnScale, OwnTurn;
        private readonly double[] _tolerance2;
        private readonly int[] _query, _catalogue, _seenQuery, _seenCatalogue;
        private readonly double _logScaleTolerance, _angleTolerance, _clearlyBelowUpper, _clearlyAboveLower;
        private int _stamp;

        public Matches(KeypointSet query, KeypointSet catalogue, IReadOnlyList<(int Query, int Catalogue)> matches, KeypointMatchSettings settings)
        {
            int n = matches.Count;
            (QueryX, QueryY, CatalogueX, CatalogueY, OwnScale, OwnTurn, _tolerance2) = (new double[n], new double[n], new double[n], new double[n], new double[n], new double[n], new double[n]);
            (_query, _catalogue) = (new int[n], new int[n]);
            _seenQuery = new int[query.Count];
            _seenCatalogue = new int[catalogue.Count];
            for (int k = 0; k < n; k++)
            {
                var (qi, ci) = matches[k];
                var q = query.Points[qi];
                var c = catalogue.Points[ci];
                (_query[k], _catalogue[k]) = (qi, ci);
                (QueryX[k], QueryY[k], CatalogueX[k], CatalogueY[k]) = (q.X, q.Y, c.X, c.Y);
                // In float, as the keypoints hold them: the same numbers a test from the keypoints gets.
                OwnScale[k] = q.Scale / c.Scale;
                OwnTurn[k] = q.Angle - c.Angle;
                double tolerance = settings.TolerancePixels * q.Scale;
                _tolerance2[k] = tolerance * tolerance;
            }
            _logScaleTolerance = Math.Log(settings.ScaleTolerance);
            _angleTolerance = settings.AngleTolerance;
            // A scale ratio this far inside the tolerance passes whatever the log of it rounds to.
            (_clearlyBelowUpper, _clearlyAboveLower) = (Math.Exp(_logScaleTolerance) * (1 - 1e-9), Math.Exp(-_logScaleTolerance) * (1 + 1e-9));
        }

        /// <summary>Indices of the matches the transform agrees with (in match order) into <paramref name="inliers"/>; their count.</summary>
        public int Inliers(SimilarityTransform transform, int[] inliers)
        {
            double scale = transform.Scale, turn = Math.Atan2(transform.Ai, transform.Ar);
            int count = 0;
            for (int k = 0; k < QueryX.Length; k++)
            {
                var (x, y) = transform.Apply(CatalogueX[k], CatalogueY[k]);
                if ((x - QueryX[k]) * (x - QueryX[k]) + (y - QueryY[k]) * (y - QueryY[k]) > _tolerance2[k])
                    continue;
                double ratio = OwnScale[k] / scale;
                bool clearlyInside = ratio < _clearlyBelowUpper && ratio > _clearlyAboveLower;
                if (!clearlyInside && Math.Abs(Math.Log(ratio)) > _logScaleTolerance)
                    continue;
                // Within half a turn the remainder is the difference itself, exactly.
                double difference = OwnTurn[k] - turn;
                double angleError = Math.Abs(difference) < Math.PI ? difference : Math.IEEERemainder(difference, 2 * Math.PI);
                if (Math.Abs(angleError) > _angleTolerance)
                    continue;
                inliers[count++] = k;
            }
            return count;
        }

        /// <summary><see cref="SpatialVerifier.FitLeastSquares"/> over the given matches, the same sums in the same order.</summary>
        public SimilarityTransform Fit(ReadOnlySpan<int> inliers)
        {
            double fx = 0, fy = 0, tx = 0, ty = 0;
            foreach (int k in inliers)
                (fx, fy, tx, ty) = (fx + CatalogueX[k], fy + CatalogueY[k], tx + QueryX[k], ty + QueryY[k]);
            double count = inliers.Length;
            (fx, fy, tx, ty) = (fx / count, fy / count, tx / count, ty / count);
            double re = 0, im = 0, norm = 0;
            foreach (int k in inliers)
            {
                double cx = CatalogueX[k] - fx, cy = CatalogueY[k] - fy, qx = QueryX[k] - tx, qy = QueryY[k] - ty;
                re += qx * cx + qy * cy;
                im += qy * cx - qx * cy;
                norm += cx * cx + cy * cy;
            }
            double ar = norm > 0 ? re / norm : 1, ai = norm > 0 ? im / norm : 0;
            return new SimilarityTransform(ar, ai, tx - (ar * fx - ai * fy), ty - (ai * fx + ar * fy));
        }

        /// <summary>
        /// Inliers counted once per corner on either side: one corner is often found on two neighbouring
        /// pyramid levels and would otherwise count twice.
        /// </summary>
        public int Distinct(ReadOnlySpan<int> inliers)
        {
            int stamp = ++_stamp, queries = 0, catalogues = 0;
            foreach (int k in inliers)
            {
                if (_seenQuery[_query[k]] != stamp)
                    (_seenQuery[_query[k]], queries) = (stamp, queries + 1);
                if (_seenCatalogue[_catalogue[k]] != stamp)
                    (_seenCatalogue[_catalogue[k]], catalogues) = (stamp, catalogues + 1);
            }
            return Math.Min(queries, catalogues);
        }
    }
}
