using System.Xml.Linq;

namespace Gateway.Xmpp;

/// <summary>RFC 6120 §8.3.2: what the sender may do about an error.</summary>
public enum StanzaErrorType
{
    Cancel,
    Continue,
    Modify,
    Auth,
    Wait,
}

/// <summary>RFC 6120 §8.3.3: the defined stanza error conditions.</summary>
public enum StanzaErrorCondition
{
    UndefinedCondition = 0,
    BadRequest,
    Conflict,
    FeatureNotImplemented,
    Forbidden,
    Gone,
    InternalServerError,
    ItemNotFound,
    JidMalformed,
    NotAcceptable,
    NotAllowed,
    NotAuthorized,
    PolicyViolation,
    RecipientUnavailable,
    Redirect,
    RegistrationRequired,
    RemoteServerNotFound,
    RemoteServerTimeout,
    ResourceConstraint,
    ServiceUnavailable,
    SubscriptionRequired,
    UnexpectedRequest,
}

/// <summary>
/// A stanza-level error (RFC 6120 §8.3): type, defined condition, optional text, optional
/// application-specific condition element, and the <c>by</c> attribute naming who generated it.
/// </summary>
public sealed record StanzaError(StanzaErrorType Type, StanzaErrorCondition Condition, string? Text = null)
{
    /// <summary>The entity that generated the error, when the server says.</summary>
    public string? By { get; init; }

    /// <summary>RFC 6120 §8.3.3.14: the new address carried by <c>gone</c> or <c>redirect</c>.</summary>
    public string? RedirectUri { get; init; }

    /// <summary>RFC 6120 §8.3.4: an application-specific condition, kept as received.</summary>
    public XElement? ApplicationCondition { get; init; }

    /// <summary>The condition's wire name, e.g. <c>item-not-found</c>.</summary>
    public string ConditionName => Condition.ToWire();

    public override string ToString()
    {
        var head = $"XMPP stanza error '{Condition.ToWire()}' (type {Type.ToWire()})";
        return Text is null ? head : $"{head}: {Text}";
    }

    /// <summary>The default type for a condition, per the examples of RFC 6120 §8.3.3.</summary>
    public static StanzaError Of(StanzaErrorCondition condition, string? text = null) =>
        new(DefaultType(condition), condition, text);

    internal static StanzaErrorType DefaultType(StanzaErrorCondition condition) => condition switch
    {
        StanzaErrorCondition.BadRequest or StanzaErrorCondition.JidMalformed or StanzaErrorCondition.NotAcceptable
            or StanzaErrorCondition.PolicyViolation or StanzaErrorCondition.Redirect => StanzaErrorType.Modify,
        StanzaErrorCondition.Forbidden or StanzaErrorCondition.NotAuthorized
            or StanzaErrorCondition.RegistrationRequired or StanzaErrorCondition.SubscriptionRequired => StanzaErrorType.Auth,
        StanzaErrorCondition.RecipientUnavailable or StanzaErrorCondition.RemoteServerTimeout
            or StanzaErrorCondition.ResourceConstraint or StanzaErrorCondition.UnexpectedRequest => StanzaErrorType.Wait,
        _ => StanzaErrorType.Cancel,
    };
}

/// <summary>Wire names for <see cref="StanzaErrorType"/> and <see cref="StanzaErrorCondition"/>.</summary>
public static class StanzaErrorWireNames
{
    public static string ToWire(this StanzaErrorType type) => type switch
    {
        StanzaErrorType.Cancel => "cancel",
        StanzaErrorType.Continue => "continue",
        StanzaErrorType.Modify => "modify",
        StanzaErrorType.Auth => "auth",
        StanzaErrorType.Wait => "wait",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParseType(string? value, out StanzaErrorType type)
    {
        (var ok, type) = value switch
        {
            "cancel" => (true, StanzaErrorType.Cancel),
            "continue" => (true, StanzaErrorType.Continue),
            "modify" => (true, StanzaErrorType.Modify),
            "auth" => (true, StanzaErrorType.Auth),
            "wait" => (true, StanzaErrorType.Wait),
            _ => (false, StanzaErrorType.Cancel),
        };
        return ok;
    }

    public static string ToWire(this StanzaErrorCondition condition) => condition switch
    {
        StanzaErrorCondition.BadRequest => "bad-request",
        StanzaErrorCondition.Conflict => "conflict",
        StanzaErrorCondition.FeatureNotImplemented => "feature-not-implemented",
        StanzaErrorCondition.Forbidden => "forbidden",
        StanzaErrorCondition.Gone => "gone",
        StanzaErrorCondition.InternalServerError => "internal-server-error",
        StanzaErrorCondition.ItemNotFound => "item-not-found",
        StanzaErrorCondition.JidMalformed => "jid-malformed",
        StanzaErrorCondition.NotAcceptable => "not-acceptable",
        StanzaErrorCondition.NotAllowed => "not-allowed",
        StanzaErrorCondition.NotAuthorized => "not-authorized",
        StanzaErrorCondition.PolicyViolation => "policy-violation",
        StanzaErrorCondition.RecipientUnavailable => "recipient-unavailable",
        StanzaErrorCondition.Redirect => "redirect",
        StanzaErrorCondition.RegistrationRequired => "registration-required",
        StanzaErrorCondition.RemoteServerNotFound => "remote-server-not-found",
        StanzaErrorCondition.RemoteServerTimeout => "remote-server-timeout",
        StanzaErrorCondition.ResourceConstraint => "resource-constraint",
        StanzaErrorCondition.ServiceUnavailable => "service-unavailable",
        StanzaErrorCondition.SubscriptionRequired => "subscription-required",
        StanzaErrorCondition.UnexpectedRequest => "unexpected-request",
        _ => "undefined-condition",
    };

    public static StanzaErrorCondition ParseCondition(string name) => name switch
    {
        "bad-request" => StanzaErrorCondition.BadRequest,
        "conflict" => StanzaErrorCondition.Conflict,
        "feature-not-implemented" => StanzaErrorCondition.FeatureNotImplemented,
        "forbidden" => StanzaErrorCondition.Forbidden,
        "gone" => StanzaErrorCondition.Gone,
        "internal-server-error" => StanzaErrorCondition.InternalServerError,
        "item-not-found" => StanzaErrorCondition.ItemNotFound,
        "jid-malformed" => StanzaErrorCondition.JidMalformed,
        "not-acceptable" => StanzaErrorCondition.NotAcceptable,
        "not-allowed" => StanzaErrorCondition.NotAllowed,
        "not-authorized" => StanzaErrorCondition.NotAuthorized,
        "policy-violation" => StanzaErrorCondition.PolicyViolation,
        "recipient-unavailable" => StanzaErrorCondition.RecipientUnavailable,
        "redirect" => StanzaErrorCondition.Redirect,
        "registration-required" => StanzaErrorCondition.RegistrationRequired,
        "remote-server-not-found" => StanzaErrorCondition.RemoteServerNotFound,
        "remote-server-timeout" => StanzaErrorCondition.RemoteServerTimeout,
        "resource-constraint" => StanzaErrorCondition.ResourceConstraint,
        "service-unavailable" => StanzaErrorCondition.ServiceUnavailable,
        "subscription-required" => StanzaErrorCondition.SubscriptionRequired,
        "unexpected-request" => StanzaErrorCondition.UnexpectedRequest,
        _ => StanzaErrorCondition.UndefinedCondition,
    };
}
