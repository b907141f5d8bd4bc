using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>Binding (RFC 8489 §6.3.1, §7.3.1): tell the client its reflexive transport address.</summary>
internal static class BindingHandler
{
    public static void Handle(TurnServer server, in StunMessage request, in RequestContext context)
    {
        Span<byte> buffer = stackalloc byte[128];
        var writer = new StunWriter(buffer, StunMethod.Binding, StunClass.SuccessResponse, request.TransactionId);
        XorMappedAddressAttribute.Write(ref writer, context.Tuple.Client, request.TransactionId);
        TurnServer.SendResponse(ref writer, context);
    }
}
