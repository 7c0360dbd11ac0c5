using ArtMatch.Core.Embedding;
using ArtMatch.Inference.Internal.Onnx;
using Google.Protobuf;

namespace ArtMatch.Inference.Internal;

/// <summary>
/// Edits a model's protobuf in memory so the upstream file serves as an embedder: the embedding tap
/// (an internal tensor) becomes a graph output, and the input's batch, height and width become
/// symbolic so any size runs. Fields ArtMatch does not model survive as unknown fields.
/// </summary>
internal static class ModelPatcher
{
    private const int ElementFloat = 1;

    public static byte[] Patch(byte[] model, ModelManifest manifest)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Model {manifest.File} is not an ONNX protobuf: {e.Message}", e);
        }
        var graph = proto.Graph ?? throw new InvalidDataException($"Model {manifest.File} has no graph.");

        var input = graph.Input.FirstOrDefault(i => i.Name == manifest.Input.Name)
            ?? throw new InvalidDataException($"Model {manifest.File} has no input '{manifest.Input.Name}' (inputs: {string.Join(", ", graph.Input.Select(i => i.Name))}).");
        if (manifest.Input.SymbolicSize)
        {
            MakeSymbolic(input, manifest.Input.Layout);
            // Exporters such as CNTK record every intermediate shape at the export size; ORT refuses a run at
            // another size against them ("Got: 10 Expected: 7"), so they go and ORT infers the shapes instead.
            graph.ValueInfo.Clear();
        }

        string tap = manifest.Embedding.Tensor;
        if (graph.Output.All(o => o.Name != tap))
        {
            // Shape left open: ORT infers it; the element type is what lets ORT accept the output.
            graph.Output.Add(new ValueInfoProto
            {
                Name = tap,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = ElementFloat } },
            });
        }
        KeepOnly(graph, manifest);
        return proto.ToByteArray();
    }

    /// <summary>
    /// Graph outputs become the tap and the classifier output the manifest names, and nodes neither
    /// depends on are dropped. ORT runs every node of a graph whatever the caller fetches, and a head
    /// after the tap may fail at another input size (ResNet18's fixed 7x7 average pool on a smaller map).
    /// </summary>
    private static void KeepOnly(GraphProto graph, ModelManifest manifest)
    {
        var wanted = new HashSet<string> { manifest.Embedding.Tensor };
        if (manifest.Classifier is { } classifier)
            wanted.Add(classifier.Output);
        var outputs = graph.Output.Where(o => wanted.Contains(o.Name)).ToList();
        graph.Output.Clear();
        graph.Output.AddRange(outputs);

        // Nodes are in topological order (ONNX requires it): walk back from the outputs.
        var needed = new HashSet<string>(wanted);
        var keep = new bool[graph.Node.Count];
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (!node.Output.Any(needed.Contains))
                continue;
            keep[i] = true;
            needed.UnionWith(node.Input);
        }
        var kept = graph.Node.Where((_, i) => keep[i]).ToList();
        if (kept.Count == graph.Node.Count)
            return;
        graph.Node.Clear();
        graph.Node.AddRange(kept);
    }

    private static void MakeSymbolic(ValueInfoProto input, string layout)
    {
        var shape = input.Type?.TensorType?.Shape;
        if (shape is null || shape.Dim.Count != 4)
            throw new InvalidDataException($"Input '{input.Name}' is not a 4-d image tensor; cannot make its size symbolic.");
        string?[] names = layout == "NHWC" ? ["batch", "height", "width", null] : ["batch", null, "height", "width"];
        for (int i = 0; i < 4; i++)
        {
            // A dimension already symbolic keeps its name: outputs may share it (e.g. "batch_size").
            var dim = shape.Dim[i];
            if (names[i] is { } name && dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam)
                dim.DimParam = name;
        }
    }
}
