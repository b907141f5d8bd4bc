namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// The comprehension-required attributes this server understands; any other in a request earns a
/// 420 with UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1.1). USERHASH is deliberately absent: the relay
/// does not implement username anonymity, so clients learn that at once.
/// </summary>
internal static class KnownAttributes
{
    public static readonly Func<ushort, bool> IsKnown = type => type switch
    {
        MappedAddressAttribute.Type or UsernameAttribute.Type or MessageIntegrityAttribute.Type
            or ErrorCodeAttribute.Type or UnknownAttributesAttribute.Type or ChannelNumberAttribute.Type
            or LifetimeAttribute.Type or XorPeerAddressAttribute.Type or DataAttribute.Type
            or RealmAttribute.Type or NonceAttribute.Type or XorRelayedAddressAttribute.Type
            or RequestedAddressFamilyAttribute.Type or RequestedTransportAttribute.Type
            or DontFragmentAttribute.Type or MessageIntegritySha256Attribute.Type
            or PasswordAlgorithmAttribute.Type or XorMappedAddressAttribute.Type
            or EvenPortAttribute.Type or ReservationTokenAttribute.Type => true,
        _ => false,
    };
}
