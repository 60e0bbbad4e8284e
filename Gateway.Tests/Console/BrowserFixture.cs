using Microsoft.Playwright;

namespace Gateway.Tests.Console;

/// <summary>
/// One headless Chromium per test class (Debian's <c>chromium</c> package, which scripts/lib/prerequisites.sh installs
/// for <c>--tests</c>), driven by Microsoft.Playwright's Node driver from the NuGet package's .playwright folder, which
/// the build copies next to the test assembly. Nothing downloads a browser: a missing /usr/bin/chromium fails loudly.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("BrowserFixture is not initialized.");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install the Debian package chromium (scripts/test.sh does).");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
