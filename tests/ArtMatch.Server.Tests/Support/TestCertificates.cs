using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ArtMatch.Server.Tests.Support;

/// <summary>
/// A certificate authority and a "localhost" server certificate it signed, made now and written as
/// PEM: the server serves the leaf, the clients trust the authority as their root.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string authorityPem, string certificatePem, string keyPem, X509Certificate2 authority)
    {
        AuthorityPem = authorityPem;
        CertificatePem = certificatePem;
        KeyPem = keyPem;
        Authority = authority;
    }

    public string AuthorityPem { get; }
    public string CertificatePem { get; }
    public string KeyPem { get; }
    public X509Certificate2 Authority { get; }

    public static TestCertificates Create(string directory)
    {
        var now = DateTimeOffset.UtcNow;
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=ArtMatch test authority", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        var authority = authorityRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var server = serverRequest.Create(authority, now.AddDays(-1), now.AddDays(6), RandomNumberGenerator.GetBytes(12));

        var certificates = new TestCertificates(Path.Combine(directory, "authority.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"), authority);
        File.WriteAllText(certificates.AuthorityPem, authority.ExportCertificatePem());
        File.WriteAllText(certificates.CertificatePem, server.ExportCertificatePem());
        File.WriteAllText(certificates.KeyPem, serverKey.ExportPkcs8PrivateKeyPem());
        return certificates;
    }

    /// <summary>A .NET handler that trusts this authority alone (the machine's roots do not know it).</summary>
    public SocketsHttpHandler TrustingHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = new X509Certificate2(certificate);
                return chain.Build(leaf);
            },
        },
    };
}
