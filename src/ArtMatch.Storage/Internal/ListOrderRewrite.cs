namespace ArtMatch.Storage.Internal;

/// <summary>
/// A rewrite of the row file in list order under way (<see cref="VectorIndex.BeginListOrder"/>): planned at one
/// generation of the rows, over one inverted file and one row file; rows [0, <see cref="Rows"/>) written into
/// <see cref="Target"/> (PATH.tmp) in <see cref="Order"/> (new position -> old row).
/// </summary>
internal sealed class ListOrderRewrite(int generation, IvfLists ivf, RowFile source, RowFile target, int[] order)
{
    public int Generation => generation;

    public IvfLists Ivf => ivf;

    public RowFile Source => source;

    public RowFile Target => target;

    public int[] Order => order;

    public int Rows => order.Length;

    /// <summary>Publishes and flushes the rows written so far, outside any lock (the new file is this rewrite's alone), so the swap flushes only what it adds.</summary>
    public void Flush()
    {
        target.Publish();
        target.FlushToDisk();
    }

    /// <summary>Set just before the new file takes the row file's name: from then on it is the row file, never dropped.</summary>
    public bool Renamed { get; set; }

    private bool _dropped;

    /// <summary>Closes and deletes the new file (a rewrite not finished); once only, and never once renamed.</summary>
    public void Drop()
    {
        if (Renamed || _dropped)
            return;
        _dropped = true;
        string path = target.Path;
        target.Dispose();
        File.Delete(path);
    }
}
