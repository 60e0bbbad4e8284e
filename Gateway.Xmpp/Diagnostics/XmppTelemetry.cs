namespace Gateway.Xmpp.Diagnostics;

/// <summary>The names an exporter subscribes to for the library's metrics and traces (docs/observability.md).</summary>
public static class XmppTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> of the session pool.</summary>
    public const string MeterName = "Gateway.Xmpp";

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of the session pool: one activity per sent stanza.</summary>
    public const string ActivitySourceName = "Gateway.Xmpp";
}
