using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Gateway.Api.Telemetry;

/// <summary>
/// Counts a send endpoint's 202 answers in <see cref="GatewayApiMetrics"/>: <c>.CountAcceptedSends("message")</c> on the
/// endpoint, so the handlers stay as they are.
/// </summary>
internal static class AcceptedSends
{
    public static RouteHandlerBuilder CountAcceptedSends(this RouteHandlerBuilder builder, string endpoint)
    {
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        return builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (IsAccepted(result))
            {
                context.HttpContext.RequestServices.GetRequiredService<GatewayApiMetrics>().SendAccepted(tag);
            }

            return result;
        });
    }

    private static bool IsAccepted(object? result)
    {
        // A Results<…> union wraps the result it chose.
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted };
    }
}
