namespace Gateway.Xmpp;

/// <summary>
/// SASL authentication did not complete. Either the server refused us with a <c>&lt;failure/&gt;</c>
/// (RFC 6120 §6.5, <see cref="Condition"/> is the defined condition name such as <c>not-authorized</c>), or we
/// refused the server: it could not prove it knows our SCRAM credentials (<c>server-signature-mismatch</c>),
/// broke the mechanism's rules (<c>invalid-server-message</c>), or offered nothing we accept
/// (<c>no-acceptable-mechanism</c>). <see cref="SaslConditions"/> lists both sets.
/// </summary>
/// <remarks>
/// The message never carries the password, the SCRAM proof, salt or any derived key: only the condition, the
/// server's own text and our description of what was wrong.
/// </remarks>
public sealed class SaslFailedException : XmppException
{
    public SaslFailedException(string condition, string? text = null, Exception? innerException = null)
        : base(FormatMessage(condition, text), innerException)
    {
        Condition = condition;
        Text = text;
    }

    /// <summary>
    /// The RFC 6120 §6.5 failure condition the server sent, or one of the local conditions in
    /// <see cref="SaslConditions"/> when we aborted the exchange ourselves.
    /// </summary>
    public string Condition { get; }

    /// <summary>Human-readable text: the server's <c>&lt;text/&gt;</c>, or our reason for a local failure.</summary>
    public string? Text { get; }

    /// <summary>
    /// RFC 6120 §6.5.11: only <c>temporary-auth-failure</c> may succeed on a later attempt with the same
    /// credentials. Every other outcome repeats until someone changes the account, the password or the server.
    /// </summary>
    public override bool IsTransient => Condition == SaslConditions.TemporaryAuthFailure;

    /// <summary>
    /// True when the account or its password is the problem (wrong password, expired, disabled): the caller has to
    /// fix credentials, and retrying would only hammer the server and risk an account lockout.
    /// </summary>
    public bool IsCredentialFailure => Condition is SaslConditions.NotAuthorized
        or SaslConditions.CredentialsExpired
        or SaslConditions.AccountDisabled;

    private static string FormatMessage(string condition, string? text)
    {
        ArgumentException.ThrowIfNullOrEmpty(condition);
        var message = $"SASL authentication failed with '{condition}'";
        return text is null ? message + "." : $"{message}: {text}";
    }
}

/// <summary>Condition names carried by <see cref="SaslFailedException.Condition"/>.</summary>
public static class SaslConditions
{
    /// <summary>RFC 6120 §6.5.1: the receiving entity acknowledges that the client aborted the exchange.</summary>
    public const string Aborted = "aborted";

    /// <summary>RFC 6120 §6.5.2: the account has been disabled.</summary>
    public const string AccountDisabled = "account-disabled";

    /// <summary>RFC 6120 §6.5.3: the credentials have expired.</summary>
    public const string CredentialsExpired = "credentials-expired";

    /// <summary>RFC 6120 §6.5.4: the mechanism requires an encrypted stream.</summary>
    public const string EncryptionRequired = "encryption-required";

    /// <summary>RFC 6120 §6.5.5: the data we sent was not valid base64.</summary>
    public const string IncorrectEncoding = "incorrect-encoding";

    /// <summary>RFC 6120 §6.5.6: the authorization identity is malformed or not permitted.</summary>
    public const string InvalidAuthzid = "invalid-authzid";

    /// <summary>RFC 6120 §6.5.7: the server does not support the mechanism we chose.</summary>
    public const string InvalidMechanism = "invalid-mechanism";

    /// <summary>RFC 6120 §6.5.8: the request was malformed.</summary>
    public const string MalformedRequest = "malformed-request";

    /// <summary>RFC 6120 §6.5.9: the server's policy rejects the mechanism as too weak.</summary>
    public const string MechanismTooWeak = "mechanism-too-weak";

    /// <summary>RFC 6120 §6.5.10: wrong user name or password (the server does not say which).</summary>
    public const string NotAuthorized = "not-authorized";

    /// <summary>RFC 6120 §6.5.11: a temporary problem on the server; the only transient condition.</summary>
    public const string TemporaryAuthFailure = "temporary-auth-failure";

    /// <summary>Local: the server offered no mechanism we are willing to use on this stream.</summary>
    public const string NoAcceptableMechanism = "no-acceptable-mechanism";

    /// <summary>
    /// Local: the server asked for fewer SCRAM iterations than we accept (RFC 7677 §4: at least 4096;
    /// <see cref="XmppClientOptions.ScramMinIterations"/>). Not transient: the server's stored credentials decide it.
    /// </summary>
    public const string IterationCountTooLow = "iteration-count-too-low";

    /// <summary>
    /// Local: the SCRAM server signature (<c>v=</c>) was wrong or missing, so the server did not prove it holds
    /// our credentials. Either a misconfigured server or an impostor; never treat it as a credential problem.
    /// </summary>
    public const string ServerSignatureMismatch = "server-signature-mismatch";

    /// <summary>
    /// Local: a challenge or success message broke the mechanism's rules (malformed attributes, a nonce that does
    /// not extend ours, an iteration count out of bounds, an unsupported mandatory extension, an unexpected step).
    /// </summary>
    public const string InvalidServerMessage = "invalid-server-message";

    /// <summary>
    /// Local: the SCRAM server-final message carried an <c>e=</c> error we do not map to an RFC 6120 condition;
    /// <see cref="SaslFailedException.Text"/> holds the server-error value.
    /// </summary>
    public const string ScramServerError = "scram-server-error";
}
