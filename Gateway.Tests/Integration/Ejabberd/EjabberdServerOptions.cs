namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>How <see cref="EjabberdServer.StartAsync"/> configures a private ejabberd instance.</summary>
public sealed record EjabberdServerOptions
{
    /// <summary>The virtual host (XMPP domain); the generated certificate is issued for it.</summary>
    public string Domain { get; init; } = "localhost";

    /// <summary>
    /// ejabberd's <c>loglevel</c>: none, emergency, alert, critical, error, warning, notice, info or debug. Not info or
    /// debug by default: at info ejabberd logs the arguments of every API call, the new accounts' passwords among them.
    /// </summary>
    public string LogLevel { get; init; } = "warning";

    /// <summary>How long the server may take until its HTTP API reports it started and its c2s port sends stream features.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a SIGTERM may take before <see cref="EjabberdServer.StopAsync"/> kills the process.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
