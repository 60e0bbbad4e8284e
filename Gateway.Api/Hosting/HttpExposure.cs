using System.Net;
using Gateway.Api.Configuration;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hosting;

/// <summary>
/// What the gateway shows the network (<see cref="GatewayHttpOptions"/>, <c>Gateway:Http</c>): forwarded headers
/// from configured proxies only, HSTS outside Development, optional HTTPS redirection, security headers on every
/// response. <c>services.AddGatewayHttpExposure()</c>, then <c>app.UseGatewayHttpExposure()</c> first in the pipeline.
/// </summary>
public static class HttpExposure
{
    public static IServiceCollection AddGatewayHttpExposure(this IServiceCollection services)
    {
        services.AddOptions<GatewayHttpOptions>().BindConfiguration(GatewayHttpOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayHttpOptions>, GatewayHttpOptionsValidator>());
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<GatewayHttpOptions>>((forwarded, http) =>
        {
            // Not X-Forwarded-Host: the Host a client sees is not the gateway's to rewrite.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = http.Value.ForwardLimit;

            // Exactly the configured proxies: the loopback defaults would trust any local process.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in http.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in http.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        services.AddOptions<HstsOptions>().Configure<IOptions<GatewayHttpOptions>>((hsts, http) => hsts.MaxAge = http.Value.HstsMaxAge);
        services.AddOptions<HttpsRedirectionOptions>().Configure<IOptions<GatewayHttpOptions>>((redirect, http) => redirect.HttpsPort = http.Value.HttpsPort);

        // Read each request straight into a pooled buffer, not after a zero-byte read that only waits for data: on
        // Linux that wait is a MSG_PEEK system call and another trip through epoll per request. The price is one
        // 4 KB block held by each idle connection, hub connections included: 4 MB for a thousand subscribers.
        services.Configure<SocketTransportOptions>(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        return services;
    }

    /// <summary>Goes before everything else: later middleware sees the forwarded scheme and client address, and every response gets the headers.</summary>
    public static WebApplication UseGatewayHttpExposure(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<GatewayHttpOptions>>().Value;
        if (options.KnownProxies.Count > 0 || options.KnownNetworks.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseMiddleware<SecurityHeadersMiddleware>();

        // RFC 6797 §7.2: only sent over HTTPS (UseHsts checks); not in Development, where a browser would then
        // refuse plain HTTP to localhost for a year.
        if (options.Hsts && !app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        if (options.HttpsRedirection)
        {
            // Orchestrators probe health over plain HTTP inside the cluster.
            app.UseWhen(context => !context.Request.Path.StartsWithSegments("/health"), https => https.UseHttpsRedirection());
        }

        return app;
    }
}
