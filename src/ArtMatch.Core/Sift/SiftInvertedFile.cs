namespace ArtMatch.Core.Sift;

/// <summary>
/// The first stage of the local-feature search: an inverted file from each visual word to the
/// catalogue pictures holding it, scored by tf-idf cosine (Sivic and Zisserman's Video Google). A
/// query touches only the postings of its own words, so its work grows with the pictures sharing them,
/// not with the catalogue; the memory is 8 bytes per distinct word of a picture (a few KB each).
/// Thread-safe: searches share a read lock, changes take the write lock.
/// </summary>
public sealed class SiftInvertedFile(int words)
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly List<Picture> _pictures = [];
    private readonly Dictionary<string, List<int>> _byObject = new(StringComparer.Ordinal);
    private List<Posting>[] _postings = NewPostings(words);
    private int[] _documentFrequency = new int[words];
    private float[] _idf = new float[words];
    private int _live;
    private bool _weightsStale = true;

    public int Words { get; private set; } = words;

    /// <summary>Pictures searchable now.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _live; } finally { _lock.ExitReadLock(); }
        }
    }

    private readonly record struct Posting(int Picture, ushort Count);

    private sealed class Picture(string objectId, string imageId, (ushort Word, ushort Count)[] bag)
    {
        public string ObjectId { get; } = objectId;
        public string ImageId { get; } = imageId;
        public (ushort Word, ushort Count)[] Bag { get; } = bag;
        public bool Live { get; set; } = true;
        public float Norm { get; set; }
    }

    private static List<Posting>[] NewPostings(int words)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(words, 1);
        var postings = new List<Posting>[words];
        for (int i = 0; i < words; i++)
            postings[i] = [];
        return postings;
    }

    /// <summary>Empties the file for a vocabulary of <paramref name="words"/> words (a new vocabulary makes every word list stale).</summary>
    public void Reset(int words)
    {
        _lock.EnterWriteLock();
        try
        {
            Words = words;
            _postings = NewPostings(words);
            _documentFrequency = new int[words];
            _idf = new float[words];
            _pictures.Clear();
            _byObject.Clear();
            _live = 0;
            _weightsStale = true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Adds (or replaces) one picture of an object by the visual words of its features.</summary>
    public void Add(string objectId, string imageId, ReadOnlySpan<ushort> featureWords)
    {
        var counts = new Dictionary<ushort, int>();
        foreach (var w in featureWords)
            counts[w] = counts.GetValueOrDefault(w) + 1;
        var bag = counts.Select(kv => (kv.Key, (ushort)Math.Min(kv.Value, ushort.MaxValue))).OrderBy(e => e.Key).ToArray();
        _lock.EnterWriteLock();
        try
        {
            if (bag.Length > 0 && bag[^1].Key >= Words)
                throw new ArgumentException($"Word {bag[^1].Key} is outside a vocabulary of {Words}.", nameof(featureWords));
            RemoveLocked(objectId, imageId);
            int slot = _pictures.Count;
            _pictures.Add(new Picture(objectId, imageId, bag));
            if (!_byObject.TryGetValue(objectId, out var slots))
                _byObject[objectId] = slots = [];
            slots.Add(slot);
            foreach (var (word, count) in bag)
            {
                _postings[word].Add(new Posting(slot, count));
                _documentFrequency[word]++;
            }
            _live++;
            _weightsStale = true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void RemoveObject(string objectId)
    {
        _lock.EnterWriteLock();
        try
        {
            RemoveLocked(objectId, imageId: null);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Marks an object's pictures (or one of them) dead; their postings are skipped from then on.</summary>
    private void RemoveLocked(string objectId, string? imageId)
    {
        if (!_byObject.TryGetValue(objectId, out var slots))
            return;
        foreach (int slot in slots.ToList())
        {
            var picture = _pictures[slot];
            if (!picture.Live || (imageId is not null && picture.ImageId != imageId))
                continue;
            picture.Live = false;
            foreach (var (word, _) in picture.Bag)
                _documentFrequency[word]--;
            _live--;
            slots.Remove(slot);
            _weightsStale = true;
        }
    }

    /// <summary>
    /// The <paramref name="top"/> pictures whose words best match <paramref name="queryWords"/> (tf-idf
    /// cosine), among objects <paramref name="allowed"/> accepts.
    /// </summary>
    public IReadOnlyList<SiftHit> Search(ReadOnlySpan<ushort> queryWords, int top, Func<string, bool>? allowed = null)
    {
        var query = new Dictionary<ushort, int>();
        foreach (var w in queryWords)
        {
            if (w < Words)
                query[w] = query.GetValueOrDefault(w) + 1;
        }
        if (query.Count == 0 || top < 1)
            return [];
        EnsureWeights();
        _lock.EnterReadLock();
        try
        {
            var scores = new float[_pictures.Count];
            double queryNorm = 0;
            foreach (var (word, count) in query)
            {
                float idf = _idf[word];
                if (idf <= 0)
                    continue;
                float q = count * idf;
                queryNorm += q * q;
                foreach (var posting in _postings[word])
                    scores[posting.Picture] += q * posting.Count * idf;
            }
            if (queryNorm <= 0)
                return [];
            float inverseQuery = (float)(1 / Math.Sqrt(queryNorm));
            var best = new PriorityQueue<int, float>();
            for (int slot = 0; slot < scores.Length; slot++)
            {
                var picture = _pictures[slot];
                if (scores[slot] <= 0 || !picture.Live || picture.Norm <= 0 || allowed?.Invoke(picture.ObjectId) == false)
                    continue;
                float score = scores[slot] * inverseQuery / picture.Norm;
                if (best.Count < top)
                    best.Enqueue(slot, score);
                else if (best.TryPeek(out _, out var lowest) && score > lowest)
                    best.EnqueueDequeue(slot, score);
            }
            var hits = new List<SiftHit>(best.Count);
            while (best.TryDequeue(out int slot, out float score))
                hits.Add(new SiftHit(_pictures[slot].ObjectId, _pictures[slot].ImageId, score));
            hits.Reverse();
            return hits;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Recomputes idf (ln of 1 + pictures over pictures holding the word: a word in every picture still counts a little, and one picture is searchable) and each picture's norm after changes.</summary>
    private void EnsureWeights()
    {
        if (!Volatile.Read(ref _weightsStale))
            return;
        _lock.EnterWriteLock();
        try
        {
            if (!_weightsStale)
                return;
            for (int w = 0; w < Words; w++)
                _idf[w] = _documentFrequency[w] > 0 ? MathF.Log(1 + (float)_live / _documentFrequency[w]) : 0;
            foreach (var picture in _pictures)
            {
                if (!picture.Live)
                    continue;
                double norm = 0;
                foreach (var (word, count) in picture.Bag)
                    norm += Math.Pow(count * _idf[word], 2);
                picture.Norm = (float)Math.Sqrt(norm);
            }
            _weightsStale = false;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
