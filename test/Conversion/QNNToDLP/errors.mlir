// RUN: dlp-opt %s -split-input-file --convert-qnn-to-dlp=target=%configs/small.json -verify-diagnostics

// A binary host op may have one float constant operand, not two.
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %c = arith.constant dense<2.0> : tensor<1x8xf32>
  %c2 = arith.constant dense<3.0> : tensor<1x8xf32>
  // expected-error @+1 {{for target 'small': a float constant operand of a host op is only supported for one operand of a binary op}}
  %m = nn.mul %c, %c2 : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %a = nn.add %x, %m : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}

// -----

// A float op with neither a DLP lowering nor a host kernel.
func.func @main(%x: tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32> {
  // expected-error @+1 {{for target 'small': no DLP lowering and no host kernel for this float op yet}}
  %t = nn.lrn %x {alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32, size = 3 : i64} : tensor<1x8x2x2xf32>
  return %t : tensor<1x8x2x2xf32>
}

// -----

// A transpose that moves the batch axis cannot run one image at a time.
func.func @main(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{for target 'small': a transpose that moves the batch axis (the program runs one image at a time)}}
  %t = nn.transpose %x {perm = array<i64: 1, 0>} : (tensor<4x8xf32>) -> tensor<8x4xf32>
  return %t : tensor<8x4xf32>
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
