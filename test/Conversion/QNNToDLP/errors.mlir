// RUN: dlp-opt %s -split-input-file --convert-qnn-to-dlp=target=%configs/small.json -verify-diagnostics

// A float op between dequantize and quantize needs a host float segment.
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %q = qnn.quantize %x : (tensor<1x8xf32>) -> tensor<1x8xi8, #qnn.fmap<[4], block = 8>>
  // expected-error @+1 {{for target 'small': a dequantized tensor feeding 'nn.sigmoid' needs a host float segment (not supported yet)}}
  %d = qnn.dequantize %q : (tensor<1x8xi8, #qnn.fmap<[4], block = 8>>) -> tensor<1x8xf32>
  %s = nn.sigmoid %d : tensor<1x8xf32>
  return %s : tensor<1x8xf32>
}

// -----

// expected-error @+1 {{cannot compile for the DLP: argument #0 must feed exactly one qnn.quantize (it has 2 users)}}
func.func @main(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %a = qnn.quantize %x : (tensor<1x8xf32>) -> tensor<1x8xi8, #qnn.fmap<[4], block = 8>>
  %b = qnn.quantize %x : (tensor<1x8xf32>) -> tensor<1x8xi8, #qnn.fmap<[5], block = 8>>
  %da = qnn.dequantize %a : (tensor<1x8xi8, #qnn.fmap<[4], block = 8>>) -> tensor<1x8xf32>
  %db = qnn.dequantize %b : (tensor<1x8xi8, #qnn.fmap<[5], block = 8>>) -> tensor<1x8xf32>
  return %da, %db : tensor<1x8xf32>, tensor<1x8xf32>
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
