"""ONNX export of the kit's networks and a minimal numpy reference evaluator.

onnxruntime and ``onnx.reference`` are not available on these machines, so the
exported graphs are checked against torch with :func:`run_onnx_numpy`, a small
numpy interpreter for exactly the ops the kit's exports produce (Conv,
BatchNormalization, Relu, MaxPool, Flatten, Gemm, MatMul, Add,
GlobalAveragePool, Identity, Dropout). It is not a general ONNX runtime:
unsupported ops or attributes raise ``NotImplementedError``.

:func:`export_onnx` writes opset 13, eval mode, input ``"input"`` (float32
N x 1 x 28 x 28), output ``"logits"``, dynamic batch axis on both.
:func:`verify_onnx` runs ``onnx.checker`` (full check), checks those
conventions, and compares the numpy evaluation with the torch model on a whole
test set (plus batch sizes 1 and 7).
"""

import numpy as np
import torch


def _attrs(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv2d(x, w, b, strides, pads, dilations, group):
    if group != 1 or any(d != 1 for d in dilations):
        raise NotImplementedError("Conv with group/dilation")
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = strides
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    out = np.tensordot(w.reshape(m, -1), cols.reshape(n, c * kh * kw, oh * ow), axes=([1], [1]))
    out = out.transpose(1, 0, 2).reshape(n, m, oh, ow)
    if b is not None:
        out = out + b.reshape(1, m, 1, 1)
    return out.astype(x.dtype)


def _maxpool2d(x, kernel, strides, pads):
    if any(pads):
        raise NotImplementedError("MaxPool with padding")
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return out


def _notset(a, key):
    return a.get(key, b"NOTSET") in (b"NOTSET", "NOTSET")


def run_onnx_numpy(model_proto, feeds):
    """Evaluate a (simple, NCHW float32) ONNX graph with numpy."""
    from onnx import numpy_helper
    g = model_proto.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    env.update(feeds)
    for node in g.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            k = ins[1].shape[2:]
            if not _notset(a, "auto_pad"):
                raise NotImplementedError("Conv auto_pad")
            out = _conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                          a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                          a.get("dilations", [1, 1]), a.get("group", 1))
            assert tuple(a.get("kernel_shape", k)) == tuple(k)
        elif op == "BatchNormalization":
            x, s, bias, mean, var = ins
            eps = a.get("epsilon", 1e-5)
            sh = (1, -1, 1, 1)
            out = ((x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * s.reshape(sh)
                   + bias.reshape(sh)).astype(x.dtype)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            if a.get("ceil_mode", 0) or not _notset(a, "auto_pad"):
                raise NotImplementedError("MaxPool ceil_mode/auto_pad")
            if any(d != 1 for d in a.get("dilations", [1, 1])):
                raise NotImplementedError("MaxPool dilations")
            out = _maxpool2d(ins[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]),
                             a.get("pads", [0, 0, 0, 0]))
        elif op == "GlobalAveragePool":
            x = ins[0]
            out = x.mean(axis=tuple(range(2, x.ndim)), keepdims=True, dtype=np.float64)
            out = out.astype(x.dtype)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            x = ins[0]
            out = x.reshape(int(np.prod(x.shape[:ax])), -1)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            out = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
            out = out.astype(np.float32)
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op in ("Identity", "Dropout"):
            out = ins[0]
        else:
            raise NotImplementedError("numpy ONNX evaluator: op %s" % op)
        env[node.output[0]] = out
    return [env[o.name] for o in g.output]


def export_onnx(model, path):
    """Export ``model`` in eval mode: opset 13, "input" -> "logits", dynamic batch."""
    model.eval()
    assert not getattr(model, "fc_as_conv", False), "export with fc_as_conv=False"
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model, dummy, path,
        opset_version=13,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
    )


def verify_onnx(path, model, x_test, y_test, chunk=500):
    """onnx.checker + numpy evaluation vs torch; returns (onnx_acc, max_abs_diff, op list).

    ``x_test``/``y_test`` are torch tensors. The numpy graph runs at batch 1,
    batch 7 and then over the whole set in chunks of ``chunk``; the accuracy is
    that of the numpy logits on the whole set."""
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inp, out = m.graph.input[0], m.graph.output[0]
    assert inp.name == "input" and out.name == "logits", (inp.name, out.name)
    bdim = inp.type.tensor_type.shape.dim[0]
    assert bdim.dim_param and not bdim.dim_value, "batch axis is not dynamic: %s" % bdim
    assert m.opset_import[0].version == 13, m.opset_import
    ops = [n.op_type for n in m.graph.node]
    assert "Dropout" not in ops, "model was not exported in eval mode: %s" % ops

    model.eval()
    max_diff = 0.0
    correct = 0
    for xb in (x_test[:1], x_test[1:8]):
        (ref,) = run_onnx_numpy(m, {"input": xb.numpy()})
        with torch.no_grad():
            t = model(xb).numpy()
        assert ref.shape == t.shape, (ref.shape, t.shape)
        max_diff = max(max_diff, float(np.abs(ref - t).max()))
    for i in range(0, len(x_test), chunk):
        xb = x_test[i:i + chunk]
        (ref,) = run_onnx_numpy(m, {"input": xb.numpy()})
        with torch.no_grad():
            t = model(xb).numpy()
        max_diff = max(max_diff, float(np.abs(ref - t).max()))
        correct += int((ref.argmax(1) == y_test[i:i + chunk].numpy()).sum())
    return correct / len(x_test), max_diff, ops


def layer_weights(model_proto):
    """``[(node_name, op_type, weight ndarray, bias ndarray or None)]`` for every
    Conv and Gemm node, with initializers reached through Identity chains (the
    exporter sometimes shares identical constants that way)."""
    from onnx import numpy_helper
    g = model_proto.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    alias = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity"}

    def resolve(name):
        seen = set()
        while name not in inits and name in alias and name not in seen:
            seen.add(name)
            name = alias[name]
        if name not in inits:
            raise ValueError("tensor %r is not a (constant) initializer" % name)
        return inits[name]

    out = []
    for n in g.node:
        if n.op_type in ("Conv", "Gemm"):
            w = resolve(n.input[1])
            if n.op_type == "Gemm":
                a = _attrs(n)
                if not a.get("transB", 0):
                    w = w.T  # rows = output channels, as in the torch Linear weight
            b = resolve(n.input[2]) if len(n.input) > 2 and n.input[2] else None
            out.append((n.name, n.op_type, w, b))
    return out
