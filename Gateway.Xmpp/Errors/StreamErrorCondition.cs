namespace Gateway.Xmpp;

/// <summary>RFC 6120 §4.9.3: the defined stream error conditions.</summary>
public enum StreamErrorCondition
{
    UndefinedCondition = 0,
    BadFormat,
    BadNamespacePrefix,
    Conflict,
    ConnectionTimeout,
    HostGone,
    HostUnknown,
    ImproperAddressing,
    InternalServerError,
    InvalidFrom,
    InvalidNamespace,
    InvalidXml,
    NotAuthorized,
    NotWellFormed,
    PolicyViolation,
    RemoteConnectionFailed,
    Reset,
    ResourceConstraint,
    RestrictedXml,
    SeeOtherHost,
    SystemShutdown,
    UnsupportedEncoding,
    UnsupportedFeature,
    UnsupportedStanzaType,
    UnsupportedVersion,
}

/// <summary>Maps <see cref="StreamErrorCondition"/> to and from its wire element name.</summary>
public static class StreamErrorConditions
{
    public static string ToWire(this StreamErrorCondition condition) => condition switch
    {
        StreamErrorCondition.BadFormat => "bad-format",
        StreamErrorCondition.BadNamespacePrefix => "bad-namespace-prefix",
        StreamErrorCondition.Conflict => "conflict",
        StreamErrorCondition.ConnectionTimeout => "connection-timeout",
        StreamErrorCondition.HostGone => "host-gone",
        StreamErrorCondition.HostUnknown => "host-unknown",
        StreamErrorCondition.ImproperAddressing => "improper-addressing",
        StreamErrorCondition.InternalServerError => "internal-server-error",
        StreamErrorCondition.InvalidFrom => "invalid-from",
        StreamErrorCondition.InvalidNamespace => "invalid-namespace",
        StreamErrorCondition.InvalidXml => "invalid-xml",
        StreamErrorCondition.NotAuthorized => "not-authorized",
        StreamErrorCondition.NotWellFormed => "not-well-formed",
        StreamErrorCondition.PolicyViolation => "policy-violation",
        StreamErrorCondition.RemoteConnectionFailed => "remote-connection-failed",
        StreamErrorCondition.Reset => "reset",
        StreamErrorCondition.ResourceConstraint => "resource-constraint",
        StreamErrorCondition.RestrictedXml => "restricted-xml",
        StreamErrorCondition.SeeOtherHost => "see-other-host",
        StreamErrorCondition.SystemShutdown => "system-shutdown",
        StreamErrorCondition.UnsupportedEncoding => "unsupported-encoding",
        StreamErrorCondition.UnsupportedFeature => "unsupported-feature",
        StreamErrorCondition.UnsupportedStanzaType => "unsupported-stanza-type",
        StreamErrorCondition.UnsupportedVersion => "unsupported-version",
        _ => "undefined-condition",
    };

    public static StreamErrorCondition FromWire(string name) => name switch
    {
        "bad-format" => StreamErrorCondition.BadFormat,
        "bad-namespace-prefix" => StreamErrorCondition.BadNamespacePrefix,
        "conflict" => StreamErrorCondition.Conflict,
        "connection-timeout" => StreamErrorCondition.ConnectionTimeout,
        "host-gone" => StreamErrorCondition.HostGone,
        "host-unknown" => StreamErrorCondition.HostUnknown,
        "improper-addressing" => StreamErrorCondition.ImproperAddressing,
        "internal-server-error" => StreamErrorCondition.InternalServerError,
        "invalid-from" => StreamErrorCondition.InvalidFrom,
        "invalid-namespace" => StreamErrorCondition.InvalidNamespace,
        "invalid-xml" => StreamErrorCondition.InvalidXml,
        "not-authorized" => StreamErrorCondition.NotAuthorized,
        "not-well-formed" => StreamErrorCondition.NotWellFormed,
        "policy-violation" => StreamErrorCondition.PolicyViolation,
        "remote-connection-failed" => StreamErrorCondition.RemoteConnectionFailed,
        "reset" => StreamErrorCondition.Reset,
        "resource-constraint" => StreamErrorCondition.ResourceConstraint,
        "restricted-xml" => StreamErrorCondition.RestrictedXml,
        "see-other-host" => StreamErrorCondition.SeeOtherHost,
        "system-shutdown" => StreamErrorCondition.SystemShutdown,
        "unsupported-encoding" => StreamErrorCondition.UnsupportedEncoding,
        "unsupported-feature" => StreamErrorCondition.UnsupportedFeature,
        "unsupported-stanza-type" => StreamErrorCondition.UnsupportedStanzaType,
        "unsupported-version" => StreamErrorCondition.UnsupportedVersion,
        _ => StreamErrorCondition.UndefinedCondition,
    };
}
