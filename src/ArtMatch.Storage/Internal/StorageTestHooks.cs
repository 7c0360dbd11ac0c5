namespace ArtMatch.Storage.Internal;

/// <summary>
/// Points where a test's child process can stop itself, so that the test kills it (SIGKILL) at a known place
/// in a long job. Null, and never called, outside those tests.
/// </summary>
internal static class StorageTestHooks
{
    /// <summary>After a row file's header counts its rows: the file's path and the rows counted.</summary>
    public static Action<string, int>? RowsPublished { get; set; }

    /// <summary>After a row file written again in list order took the row file's name, before its inverted file took its own: the path.</summary>
    public static Action<string>? RowsReordered { get; set; }

    /// <summary>Tests make stores as the version before list order did: rows left in the order they arrived.</summary>
    public static bool LeaveRowsUnordered { get; set; }

    /// <summary>After a background build of the inverted file recorded its progress: the rows assigned so far.</summary>
    public static Action<int>? IvfRowsAssigned { get; set; }

    /// <summary>After each keypoint row read from SQLite in one pass (writing the keypoint file among them): the rows read so far.</summary>
    public static Action<int>? KeypointRowsRead { get; set; }

    /// <summary>Between the blocks of a row file written again in list order, no lock held: the rows written so far.</summary>
    public static Action<int>? ListOrderRowsWritten { get; set; }

    /// <summary>Before a batch of local features re-encoded compact is committed: the rows re-encoded so far, this batch's among them.</summary>
    public static Action<int>? CatalogueLocalRecoding { get; set; }
}
