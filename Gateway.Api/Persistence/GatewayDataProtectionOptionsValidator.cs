using Microsoft.Extensions.Options;

namespace Gateway.Api.Persistence;

/// <summary>
/// Checks <see cref="GatewayDataProtectionOptions"/> at start-up: the certificate loads, and outside Development the
/// key ring is either encrypted or explicitly allowed to be stored in clear.
/// </summary>
/// <param name="services">For the host's environment; without one the strict (non-Development) rule applies.</param>
internal sealed class GatewayDataProtectionOptionsValidator(IServiceProvider services) : IValidateOptions<GatewayDataProtectionOptions>
{
    private readonly IHostEnvironment? _environment = services.GetService<IHostEnvironment>();

    public ValidateOptionsResult Validate(string? name, GatewayDataProtectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = GatewayDataProtectionOptions.Section;
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            using var certificate = KeyRingCertificate.TryLoad(options, out var problem);
            return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
        }

        if (options.AllowUnprotectedKeys || _environment?.IsDevelopment() == true)
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            $"The Data Protection key ring (Gateway:Storage:KeysPath, or the database with Gateway:Storage:Provider=Postgres) would be stored unencrypted, and it decrypts every stored " +
            $"account password. Outside Development, set {Section}:CertificatePath to an absolute path of a PKCS#12 file with an " +
            $"RSA certificate and private key (password in {Section}:CertificatePassword) to encrypt it, or set " +
            $"{Section}:AllowUnprotectedKeys=true to accept unencrypted keys protected by file permissions only (docs/security.md).");
    }
}
