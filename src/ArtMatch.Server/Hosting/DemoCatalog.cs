using ArtMatch.Core.Import;

namespace ArtMatch.Server.Hosting;

/// <summary>
/// The small demo catalogue `serve` uses when no store is given: demo/catalog.csv of the checkout
/// (paintings from the development set beside it), imported once into .demo-store/.
/// </summary>
public static class DemoCatalog
{
    public static string StoreDirectory => Path.Combine(RepoLocator.Root(), ".demo-store");

    public static string CatalogPath => Path.Combine(RepoLocator.Root(), "demo", "catalog.csv");

    /// <summary>Imports the demo records not yet stored; returns a line for the console.</summary>
    public static string Ensure(ArtMatchEngine engine)
    {
        if (!File.Exists(CatalogPath))
            return "demo catalogue file missing; serving an empty catalogue";
        // The demo file is the project's own and points at ../shared/eval/dev by design, outside its folder:
        // the confinement that guards a partner's catalogue file does not apply to it.
        var entries = CatalogFile.Read(CatalogPath, allowOutside: true).Where(e => e.IsValid && e.ImagePaths.All(File.Exists)).ToList();
        if (entries.Count == 0)
            return "demo catalogue images not found (../shared/eval/dev); serving an empty catalogue";
        var summary = engine.Importer!.Import(entries);
        return $"demo catalogue: {engine.Store!.ObjectCount} objects ({summary.ObjectsCreated} imported now)";
    }
}
