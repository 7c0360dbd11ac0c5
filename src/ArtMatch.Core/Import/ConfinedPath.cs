namespace ArtMatch.Core.Import;

/// <summary>
/// Whether a path stays inside a folder once every symbolic link on the way is followed (the
/// file's own, its folders', and links within link targets), as the operating system would open it.
/// </summary>
public static class ConfinedPath
{
    private const int MaxLinks = 40;

    /// <summary>Null when <paramref name="path"/> resolves inside <paramref name="folder"/>; otherwise why not, in words.</summary>
    public static string? Check(string path, string folder)
    {
        string root;
        string real;
        try
        {
            root = RealPath(Path.GetFullPath(folder));
            real = RealPath(Path.GetFullPath(path));
        }
        catch (IOException e)
        {
            return $"cannot be resolved ({e.Message})";
        }
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (real.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        bool viaLink = !string.Equals(real, Path.GetFullPath(path), StringComparison.Ordinal);
        return viaLink ? "leads outside the catalogue file's folder through a symbolic link" : "is outside the catalogue file's folder";
    }

    /// <summary>The path with every symbolic link resolved; components that do not exist are kept as they are.</summary>
    public static string RealPath(string full)
    {
        int links = 0;
        return Resolve(full, ref links);
    }

    private static string Resolve(string full, ref int links)
    {
        string? parent = Path.GetDirectoryName(full);
        if (parent is null)
            return full; // The root.
        string candidate = Path.Combine(Resolve(parent, ref links), Path.GetFileName(full));
        FileSystemInfo info = Directory.Exists(candidate) ? new DirectoryInfo(candidate) : new FileInfo(candidate);
        if (info.LinkTarget is not { } target)
            return candidate;
        if (++links > MaxLinks)
            throw new IOException("too many symbolic links");
        return Resolve(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(candidate)!, target)), ref links);
    }
}
