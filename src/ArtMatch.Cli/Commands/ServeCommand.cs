using System.CommandLine;
using ArtMatch.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace ArtMatch.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var store = CliSupport.StoreOption(required: false);
        store.Description = "Catalogue store folder; without it, a small demo catalogue in .demo-store/";
        var port = new Option<int>("--port") { Description = "Port to listen on", DefaultValueFactory = _ => 50051 };
        var host = new Option<string?>("--host")
        {
            Description = "Address to listen on (e.g. 0.0.0.0, ::, 10.0.0.5, localhost); default: all interfaces with --keys, loopback only without",
        };
        var insecure = new Option<bool>("--insecure-no-keys-on-network")
        {
            Description = "Listen beyond loopback WITHOUT API keys: anyone who can reach the port may change or delete the catalogue",
        };
        var cert = new Option<string?>("--tls-cert") { Description = "PEM certificate: serve TLS (needs --tls-key)" };
        var key = new Option<string?>("--tls-key") { Description = "PEM private key for --tls-cert" };
        var keys = new Option<string?>("--keys") { Description = "API keys file (JSON, see README; artmatch keys add makes one); without it the server listens on loopback only" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics (HTTP/1.1); off by default" };
        var config = CliSupport.ConfigOption();
        var command = new Command("serve", "Run the gRPC server (artmatch.v1.ArtMatch, health, reflection) on the embedded store")
        {
            store, port, host, insecure, cert, key, keys, metricsPort, config, CliSupport.IndexOption(), CliSupport.FullOption(),
        };
        command.SetAction(parse => CliSupport.Run(() =>
        {
            if ((parse.GetValue(cert) is null) != (parse.GetValue(key) is null))
                throw new ArgumentException("Give both --tls-cert and --tls-key, or neither.");
            using var engine = CliSupport.Engine(parse, config);
            var settings = new ServerSettings
            {
                Port = parse.GetValue(port), TlsCertificate = parse.GetValue(cert), TlsKey = parse.GetValue(key),
                ApiKeysFile = parse.GetValue(keys) ?? engine.Config.ApiKeys, MetricsPort = parse.GetValue(metricsPort),
                Host = parse.GetValue(host), InsecureNetworkWithoutKeys = parse.GetValue(insecure),
            };
            // Refused here, before anything starts, when the address needs keys it has not got.
            string listening = settings.ListenDescription();
            // Listening first, the catalogue loading after: health answers meanwhile (artmatch.v1.ArtMatch
            // NOT_SERVING), calls get UNAVAILABLE rather than a refused connection.
            var loading = engine.BeginLoading();
            using var app = ArtMatchServer.Build(engine, settings);
            app.Start();
            string scheme = settings.TlsCertificate is null ? "http (h2c)" : "https";
            string metrics = settings.MetricsPort is { } m ? $"; metrics on http://localhost:{m}/metrics" : "";
            AnsiConsole.MarkupLineInterpolated($"[grey]listening on {scheme} port {settings.Port}, {listening}{metrics}; loading the catalogue...[/]");
            using (loading)
            {
                string storeDir = parse.GetValue(store) ?? DemoCatalog.StoreDirectory;
                engine.OpenStore(storeDir);
                if (parse.GetValue(store) is null)
                    AnsiConsole.MarkupLineInterpolated($"[grey]{DemoCatalog.Ensure(engine)}[/]");
            }
            _ = engine.BackfillKeypointsInBackground();
            AnsiConsole.MarkupLineInterpolated($"ArtMatch serving {engine.RequireStore().ObjectCount} objects ({engine.Describer.VectorSpaceId}) on {scheme} port {settings.Port}, {listening}. Ctrl+C stops.");
            app.WaitForShutdown();
            return 0;
        }));
        return command;
    }
}
