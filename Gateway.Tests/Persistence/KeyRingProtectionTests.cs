using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Options;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

/// <summary>
/// Outside Development the Data Protection key ring (which unwraps every stored password and payload key) is
/// encrypted with a certificate, or left unencrypted only when the operator says so.
/// </summary>
[Trait("Tier", "Unit")]
public sealed class KeyRingProtectionTests : IDisposable
{
    private const string Password = "pfx-password-9c1e";
    private const string OptOut = "Gateway:DataProtection:AllowUnprotectedKeys";
    private const string CertificatePath = "Gateway:DataProtection:CertificatePath";
    private const string CertificatePassword = "Gateway:DataProtection:CertificatePassword";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task StartAsync_NotDevelopment_NeitherCertificateNorOptOut_FailsNamingBothSettings(string environment)
    {
        await using var host = StoreHost.Create(_directory.Path, new Dictionary<string, string?> { [OptOut] = "false" }, environment);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Token));

        Assert.Contains(CertificatePath, failure.Message, StringComparison.Ordinal);
        Assert.Contains(OptOut, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ProductionWithExplicitOptOut_Starts()
    {
        await using var host = StoreHost.Create(_directory.Path, new Dictionary<string, string?> { [OptOut] = "true" }, "Production");

        await host.StartAsync(Token);
        await host.StopAsync(Token);
    }

    [Fact]
    public async Task StartAsync_DevelopmentWithoutEither_Starts()
    {
        await using var host = StoreHost.Create(_directory.Path, new Dictionary<string, string?> { [OptOut] = "false" }, "Development");

        await host.StartAsync(Token);
        await host.StopAsync(Token);
    }

    [Fact]
    public async Task Production_WithCertificate_KeyFilesEncrypted_StoredSessionReadsBackAfterRestart()
    {
        var pfx = WritePfx(_directory.Combine("keyring.pfx"), Password);
        var settings = new Dictionary<string, string?> { [OptOut] = "false", [CertificatePath] = pfx, [CertificatePassword] = Password };
        await using (var host = StoreHost.Create(_directory.Path, settings, "Production"))
        {
            await host.StartAsync(Token);
            await host.Store.SaveAsync(new StoredSession("t", "s", new SessionSpec { Jid = Jid.Parse("a@example.com"), Password = "account-secret" }, T0), Token);
            await host.StopAsync(Token);
        }

        var keyFile = Assert.Single(Directory.GetFiles(_directory.Combine("keys"), "key-*.xml"));
        var xml = await File.ReadAllTextAsync(keyFile, Token);
        Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);

        await using var restarted = StoreHost.Create(_directory.Path, settings, "Production");
        await restarted.StartAsync(Token);
        Assert.Equal("account-secret", Assert.Single(await restarted.Store.LoadAllAsync(Token)).Spec.Password);
        await restarted.StopAsync(Token);
        restarted.AssertNoErrors();
    }

    [Theory]
    [InlineData("missing.pfx", Password, "does not exist")]
    [InlineData("keyring.pfx", "wrong-password", "cannot be loaded")]
    [InlineData("relative", Password, "absolute path")]
    [InlineData("no-private-key.pfx", Password, "RSA private key")]
    public async Task StartAsync_UnusableCertificate_FailsNamingTheSetting_NeverThePassword(string file, string password, string expected)
    {
        WritePfx(_directory.Combine("keyring.pfx"), Password);
        WritePfx(_directory.Combine("no-private-key.pfx"), Password, withPrivateKey: false);
        var path = file == "relative" ? "keyring.pfx" : _directory.Combine(file);
        await using var host = StoreHost.Create(
            _directory.Path,
            new Dictionary<string, string?> { [OptOut] = "true", [CertificatePath] = path, [CertificatePassword] = password },
            "Production");

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Token));

        Assert.Contains(CertificatePath, failure.Message, StringComparison.Ordinal);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, failure.Message, StringComparison.Ordinal);
    }

    /// <summary>A self-signed RSA certificate as a password-protected PKCS#12 file.</summary>
    private static string WritePfx(string path, string password, bool withPrivateKey = true)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=gateway key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var exported = withPrivateKey ? certificate : X509CertificateLoader.LoadCertificate(certificate.RawData);
        File.WriteAllBytes(path, exported.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}
