using System.Diagnostics;
using ArtMatch.Core.Configuration;
using ArtMatch.Storage.Internal;

namespace ArtMatch.Storage.Tests;

/// <summary>
/// This test assembly run as a program (<c>dotnet ArtMatch.Storage.Tests.dll open ...</c>): opens a store in a
/// child process and stops itself at a known point of a long job, printing "stopped", so that a test kills it
/// there with SIGKILL (<see cref="KillTests"/>).
/// </summary>
public static class Program
{
    /// <summary>
    /// <c>open DIR DIM APPROXIMATE_ABOVE_ROWS ASSIGN_BLOCK rows|ivf|reordered STOP_AT</c>, <c>keypoints DIR DIM STOP_AFTER_PICTURES</c>,
    /// or <c>recode DIR DIM STOP_AT_ROWS</c>.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args is ["keypoints", var kpDir, var kpDim, var kpStopAt])
        {
            // Stops while the keypoint file is written from the store's rows (a store without one).
            int after = int.Parse(kpStopAt, System.Globalization.CultureInfo.InvariantCulture);
            StorageTestHooks.KeypointRowsRead = rows =>
            {
                if (rows >= after)
                {
                    Console.WriteLine("stopped");
                    Console.Out.Flush();
                    Thread.Sleep(Timeout.Infinite);
                }
            };
            using var kpStore = SqliteCatalogStore.Open(kpDir, TempStore.Model, int.Parse(kpDim, System.Globalization.CultureInfo.InvariantCulture));
            Console.WriteLine("finished");
            return 0;
        }
        if (args is ["recode", var recodeDir, var recodeDim, var recodeStopAt])
        {
            // Stops inside the transaction of the batch that takes the rows re-encoded to STOP_AT or more.
            int after = int.Parse(recodeStopAt, System.Globalization.CultureInfo.InvariantCulture);
            StorageTestHooks.CatalogueLocalRecoding = rows =>
            {
                if (rows >= after)
                {
                    Console.WriteLine("stopped");
                    Console.Out.Flush();
                    Thread.Sleep(Timeout.Infinite);
                }
            };
            using var recodeStore = SqliteCatalogStore.Open(recodeDir, TempStore.Model, int.Parse(recodeDim, System.Globalization.CultureInfo.InvariantCulture));
            Console.WriteLine($"finished: {recodeStore.RecodeCatalogueLocal()}");
            return 0;
        }
        if (args is not ["open", var dir, var dim, var approximate, var block, var stopIn, var stopAt])
        {
            Console.Error.WriteLine("usage: open DIR DIM APPROXIMATE_ABOVE_ROWS ASSIGN_BLOCK rows|ivf|reordered STOP_AT");
            return 2;
        }
        int at = int.Parse(stopAt, System.Globalization.CultureInfo.InvariantCulture);
        void Stop()
        {
            Console.WriteLine("stopped");
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
        }
        if (stopIn == "reordered")
            StorageTestHooks.RowsReordered = _ => Stop();
        else if (stopIn == "rows")
            StorageTestHooks.RowsPublished = (path, count) => { if (path.EndsWith(".tmp", StringComparison.Ordinal) && count >= at) Stop(); };
        else
            StorageTestHooks.IvfRowsAssigned = rows => { if (rows >= at) Stop(); };
        EmbeddedVectorIndex.AssignBlock = int.Parse(block, System.Globalization.CultureInfo.InvariantCulture);
        var settings = new EmbeddedIndexSettings { ApproximateAboveRows = int.Parse(approximate, System.Globalization.CultureInfo.InvariantCulture) };
        using var store = SqliteCatalogStore.Open(dir, TempStore.Model, int.Parse(dim, System.Globalization.CultureInfo.InvariantCulture), null, settings);
        store.EmbeddedIndex.WaitForBackgroundWork();
        Console.WriteLine($"finished: {store.EmbeddedIndex.Describe()}; {store.LastRowFileOpening}; {store.EmbeddedIndex.BackgroundError}".ReplaceLineEndings(" "));
        return 0;
    }

    /// <summary>Starts this assembly as a child process with <paramref name="args"/>; returns once it printed "stopped" (or fails the test).</summary>
    public static Process StartStopped(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var line = process.StandardOutput.ReadLineAsync();
        // A guard against a child that never stops, not a measurement.
        if (!line.Wait(TimeSpan.FromMinutes(10)) || line.Result is not "stopped")
        {
            if (!process.HasExited)
                process.Kill();
            process.WaitForExit();
            throw new Xunit.Sdk.XunitException($"The child did not stop where asked (printed '{(line.IsCompleted ? line.Result : "nothing")}'; stderr: {stderr.Result})");
        }
        return process;
    }
}
