namespace Gateway.Tests.Integration.Prosody;

/// <summary>An account registered on a test <see cref="ProsodyServer"/> with <c>prosodyctl register</c>.</summary>
/// <param name="User">Localpart: lowercase ASCII letters and digits only.</param>
/// <param name="Domain">The virtual host, e.g. <c>localhost</c>.</param>
/// <param name="Password">Random per account.</param>
public sealed record TestAccount(string User, string Domain, string Password)
{
    /// <summary>The bare JID, <c>user@domain</c>.</summary>
    public string Bare => $"{User}@{Domain}";

    // The compiler-generated record ToString would print the password into test output.
    public override string ToString() => Bare;
}
