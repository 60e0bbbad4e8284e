using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Limits;

/// <summary>
/// How many refused logins (wrong password, disabled account) <c>POST /api/v1/sessions</c> may cause in a
/// <see cref="Window"/> before further creates are refused with 429 without connecting, section
/// <c>Gateway:LoginBudget</c>: so the gateway is no password-guessing oracle against other people's servers.
/// </summary>
public sealed class LoginBudgetOptions
{
    public const string Section = "Gateway:LoginBudget";

    /// <summary>Refused logins per account (bare JID), whichever tenant tried.</summary>
    [Range(1, 1_000)]
    public int FailuresPerAccount { get; set; } = 5;

    /// <summary>Refused logins per tenant, over all accounts.</summary>
    [Range(1, 100_000)]
    public int FailuresPerTenant { get; set; } = 20;

    /// <summary>How long a refused login counts.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}

[OptionsValidator]
internal sealed partial class LoginBudgetOptionsValidator : IValidateOptions<LoginBudgetOptions>;
