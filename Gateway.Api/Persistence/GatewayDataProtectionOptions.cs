namespace Gateway.Api.Persistence;

/// <summary>
/// How the Data Protection key ring (<see cref="GatewayStorageOptions.KeysPath"/>) is protected at rest, section
/// <c>Gateway:DataProtection</c>. The key ring unwraps every stored account password and every store key: whoever
/// reads it and the database reads everything. Outside Development the gateway refuses to start unless the keys are
/// encrypted with a certificate (<see cref="CertificatePath"/>) or the operator accepts unencrypted keys
/// (<see cref="AllowUnprotectedKeys"/>). Validated at start-up by <see cref="GatewayDataProtectionOptionsValidator"/>.
/// </summary>
public sealed class GatewayDataProtectionOptions
{
    public const string Section = "Gateway:DataProtection";

    /// <summary>
    /// An absolute path to a PKCS#12 (.pfx) file with an RSA certificate and its private key, kept outside the key
    /// ring's and the database's directories (a mounted secret). New keys are encrypted with it, and existing keys
    /// encrypted with it decrypt. Keys written before it was set stay readable (unencrypted).
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if any. From an environment variable or a secret store; never logged.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Accept a key ring stored unencrypted outside Development (owner-only file permissions are then its only
    /// protection: disk encryption or a volume only the gateway mounts are the operator's part). Default false.
    /// </summary>
    public bool AllowUnprotectedKeys { get; set; }

    /// <summary>Describes the options without the password.</summary>
    public override string ToString() =>
        $"DataProtection CertificatePath={CertificatePath ?? "(none)"} AllowUnprotectedKeys={AllowUnprotectedKeys}";
}
