using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Hosting;

/// <summary>Registers the STUN/TURN relay in a host.</summary>
public static class TurnRelayServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="TurnOptions"/> from the <c>Turn</c> section (validated at start), fills an
    /// empty <c>Turn:SharedSecret</c> with a random one generated once per process (so the ICE
    /// endpoint reading <c>IOptions&lt;TurnOptions&gt;</c> hands out credentials this relay accepts),
    /// and runs the relay as a hosted service unless <c>Turn:Enabled</c> is false. Read its state
    /// from the <see cref="TurnRelayStatus"/> singleton.
    /// </summary>
    public static IServiceCollection AddTurnRelay(this IServiceCollection services)
    {
        services.AddOptions<TurnOptions>()
            .BindConfiguration(TurnOptions.SectionName)
            .ValidateOnStart();
        // The data annotations are checked by a source-generated validator (no reflection), so the
        // stand-alone relay publishes with Native AOT without trimming warnings.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TurnOptions>, TurnOptionsAnnotations>());
        services.TryAddSingleton<GeneratedTurnSecret>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<TurnOptions>, FillSharedSecret>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TurnOptions>, TurnOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TurnRelayStatus>();
        services.AddHostedService<TurnRelayService>();
        return services;
    }

    private sealed class FillSharedSecret(GeneratedTurnSecret generated) : IPostConfigureOptions<TurnOptions>
    {
        public void PostConfigure(string? name, TurnOptions options)
        {
            if (string.IsNullOrEmpty(options.SharedSecret))
            {
                options.SharedSecret = generated.Value;
                generated.Used = true;
            }
        }
    }

    /// <summary>Checks what data annotations cannot: addresses and CIDRs parse, lifetimes and ports agree.</summary>
    internal sealed class TurnOptionsValidator : IValidateOptions<TurnOptions>
    {
        public ValidateOptionsResult Validate(string? name, TurnOptions options)
        {
            var failures = new List<string>();
            if (!IPAddress.TryParse(options.ListenAddress, out _))
            {
                failures.Add($"Turn:ListenAddress '{options.ListenAddress}' is not an IP address.");
            }

            if (!string.IsNullOrWhiteSpace(options.RelayAddress) && !IPAddress.TryParse(options.RelayAddress, out _))
            {
                failures.Add($"Turn:RelayAddress '{options.RelayAddress}' is not an IP address.");
            }

            foreach (var cidr in options.AllowedPeers)
            {
                if (!PeerAddressPolicy.Cidr.TryParse(cidr))
                {
                    failures.Add($"Turn:AllowedPeers entry '{cidr}' is not a CIDR range such as 127.0.0.0/8.");
                }
            }

            if (options.TlsPort is not null && (string.IsNullOrWhiteSpace(options.CertificatePath) || string.IsNullOrWhiteSpace(options.KeyPath)))
            {
                failures.Add("Turn:TlsPort needs Turn:CertificatePath and Turn:KeyPath (PEM files of the certificate and its key).");
            }

            if (options.MaxAllocationLifetimeSeconds < options.AllocationLifetimeSeconds)
            {
                failures.Add("Turn:MaxAllocationLifetimeSeconds must not be less than Turn:AllocationLifetimeSeconds.");
            }

            if ((options.RelayPortMin == 0) != (options.RelayPortMax == 0) || options.RelayPortMax < options.RelayPortMin)
            {
                failures.Add("Turn:RelayPortMin and Turn:RelayPortMax must both be 0 or form a range.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

/// <summary>The <see cref="TurnOptions"/> data annotations ([Range], [Required]), checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class TurnOptionsAnnotations : IValidateOptions<TurnOptions>;

/// <summary>One random shared secret per process, used when <c>Turn:SharedSecret</c> is empty.</summary>
internal sealed class GeneratedTurnSecret
{
    public string Value { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether the options took it (the configured secret was empty).</summary>
    public bool Used { get; set; }
}

