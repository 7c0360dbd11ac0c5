namespace ArtMatch.Server.Api;

/// <summary>
/// The least role a gRPC method needs when the server has API keys. Put it on the override in
/// <see cref="ArtMatchService"/>; grpc-dotnet copies it into the method's endpoint metadata, where
/// <see cref="ApiKeyInterceptor"/> reads it. A method without it needs <see cref="ApiRole.Admin"/>,
/// so a new RPC is closed until someone decides who may call it. Services mapped with
/// <c>.AllowAnonymous()</c> (health) need no key at all; reflection is mapped with officer.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = true)]
public sealed class RequiresRoleAttribute(ApiRole role) : Attribute
{
    public ApiRole Role { get; } = role;
}
