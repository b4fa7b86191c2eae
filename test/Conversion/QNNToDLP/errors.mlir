// RUN: dlp-opt %s -split-input-file --convert-qnn-to-dlp=target=%configs/small.json -verify-diagnostics

// Host float segments read tensors in DDR: a float constant operand is not
// supported yet.
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %q = qnn.quantize %x : (tensor<1x8xf32>) -> tensor<1x8xi8, #qnn.fmap<[4], block = 8>>
  %d = qnn.dequantize %q : (tensor<1x8xi8, #qnn.fmap<[4], block = 8>>) -> tensor<1x8xf32>
  %c = arith.constant dense<2.0> : tensor<1x8xf32>
  // expected-error @+1 {{for target 'small': a float constant operand of a host op is not supported yet}}
  %m = nn.mul %d, %c : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// Host softmax runs over the last axis.
func.func @main(%x: tensor<1x8x2xf32>) -> tensor<1x8x2xf32> {
  // expected-error @+1 {{for target 'small': host softmax runs over the last axis only (axis 1)}}
  %s = nn.softmax %x {axis = 1 : i64} : tensor<1x8x2xf32>
  return %s : tensor<1x8x2xf32>
}

// -----

// A float op with neither a DLP lowering nor a host kernel.
func.func @main(%x: tensor<1x8x2xf32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{for target 'small': no DLP lowering and no host kernel for this float op yet}}
  %t = nn.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<1x8x2xf32>) -> tensor<1x2x8xf32>
  return %t : tensor<1x2x8xf32>
}

// -----

// expected-error @+1 {{cannot compile for the DLP: argument #0 has a dynamic dimension 2 (only the batch may be dynamic)}}
func.func @main(%x: tensor<1x8x?x4xf32>) -> tensor<1x8x?x4xf32> {
  return %x : tensor<1x8x?x4xf32>
}

// -----

// expected-error @+1 {{convert-qnn-to-dlp expects one function, found 2}}
module {
  func.func @a() {
    return
  }
  func.func @b() {
    return
  }
}
