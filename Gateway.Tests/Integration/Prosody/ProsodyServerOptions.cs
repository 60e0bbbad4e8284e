namespace Gateway.Tests.Integration.Prosody;

/// <summary>How <see cref="ProsodyServer.StartAsync"/> configures a private Prosody instance.</summary>
public sealed record ProsodyServerOptions
{
    /// <summary>The virtual host (XMPP domain). The MUC component is <c>conference.</c> + this.</summary>
    public string Domain { get; init; } = "localhost";

    /// <summary>
    /// The name the generated self-signed certificate is issued for (CN and DNS SANs <c>name</c> and
    /// <c>conference.name</c>). Defaults to <see cref="Domain"/>; set it to something else
    /// (e.g. <c>wrong.example</c>) to get a server whose certificate does not match its domain.
    /// </summary>
    public string? CertificateName { get; init; }

    /// <summary>Prosody log level written to <see cref="ProsodyServer.LogPath"/>: debug, info, warn or error.</summary>
    /// <remarks>debug logs every stanza: good for diagnosing a failure, measurable under load tests.</remarks>
    public string LogLevel { get; init; } = "debug";

    /// <summary>
    /// Keep Prosody's data (accounts, archive, offline messages) in SQLite (mod_storage_sql, Debian lua-dbi-sqlite3)
    /// instead of flat files. The file store scans the whole archive on every MAM query, which a load test with
    /// thousands of messages and repeated catch-ups turns quadratic.
    /// </summary>
    public bool SqlStorage { get; init; }

    /// <summary>How long the server may take to answer a stream header on its c2s port.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a SIGTERM may take before <see cref="ProsodyServer.StopAsync"/> kills the process.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
