namespace ArtMatch.Grpc;

public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>A method as routed: "/package.Service/Method".</summary>
public sealed record MethodDescriptor(string Service, string Name, MethodType Type)
{
    public string FullName => $"/{Service}/{Name}";
}
