using System.Net;
using ArtMatch.Server.Hosting;
using ArtMatch.Server.Tests.Support;

namespace ArtMatch.Server.Tests.Hosting;

/// <summary>Secure by default: without API keys the server listens on loopback only.</summary>
public sealed class ListenAddressTests
{
    [Fact]
    public void NoKeysNoHost_LoopbackOnly()
    {
        var settings = new ServerSettings();

        Assert.Null(settings.ListenAddress());
        Assert.Contains("loopback only", settings.ListenDescription());
    }

    [Fact]
    public void KeysNoHost_EveryInterface()
    {
        var settings = new ServerSettings { ApiKeysFile = "keys.json" };

        Assert.Equal(IPAddress.IPv6Any, settings.ListenAddress());
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("10.1.2.3")]
    public void NoKeysNetworkAddress_RefusedSayingWhatToDo(string host)
    {
        var settings = new ServerSettings { Host = host };

        var error = Assert.Throws<ArgumentException>(() => settings.ListenAddress());

        Assert.Contains("without API keys", error.Message);
        Assert.Contains("--keys", error.Message);
        Assert.Contains("--insecure-no-keys-on-network", error.Message);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("localhost")]
    public void NoKeysLoopbackAddress_Allowed(string host)
    {
        var settings = new ServerSettings { Host = host };

        var address = settings.ListenAddress();

        Assert.True(address is null || IPAddress.IsLoopback(address));
    }

    [Fact]
    public void NoKeysNetworkAddressWithTheLoudFlag_AllowedAndSaidLoudly()
    {
        var settings = new ServerSettings { Host = "0.0.0.0", InsecureNetworkWithoutKeys = true };

        Assert.Equal(IPAddress.IPv6Any, settings.ListenAddress());
        Assert.Contains("NO API KEYS", settings.ListenDescription());
    }

    [Fact]
    public void NotAnAddress_Refused()
    {
        Assert.Throws<ArgumentException>(() => new ServerSettings { Host = "example.org", ApiKeysFile = "k" }.ListenAddress());
    }

    [Fact]
    public async Task Serve_NetworkAddressWithoutKeys_ExitsWithTheReason()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ServeProcess.StartAsync("--host", "0.0.0.0", "--port", $"{EngineFixture.FreePort()}"));

        Assert.Contains("Refusing to listen on 0.0.0.0 without API keys", error.Message);
    }
}
