// RUN: dlp-opt %s -split-input-file --convert-qnn-to-dlp=target=%configs/small.json -verify-diagnostics

// A weight that is not a constant must not have rows on the batch axis:
// the program runs one image at a time and would split it.
func.func @main(%x: tensor<1x8xf32>, %w: tensor<4x8xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{for target 'small': an operand that is not a constant and whose axis 0 is not the batch axis (the program runs one image at a time;}}
  %y = nn.fully_connected %x, %w : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// A constant left operand of a batched matmul has one matrix per image
// (a dynamic batch: the program runs image by image).
func.func @main(%x: tensor<?x4x3xf32>) -> tensor<2x3x3xf32> {
  %c = arith.constant dense<2.0> : tensor<2x3x4xf32>
  // expected-error @+1 {{for target 'small': a constant operand along the batch axis (the program runs one image at a time;}}
  %y = nn.matmul %c, %x : (tensor<2x3x4xf32>, tensor<?x4x3xf32>) -> tensor<2x3x3xf32>
  return %y : tensor<2x3x3xf32>
}

// -----

// Padding the batch axis makes more images.
func.func @main(%x: tensor<1x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{for target 'small': a pad of the batch axis (the program runs one image at a time;}}
  %y = nn.pad %x {mode = "constant", pads = array<i64: 1, 0, 0, 0>, value = 0.0 : f32} : (tensor<1x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// A transpose that moves the batch axis cannot run one image at a time.
func.func @main(%x: tensor<?x8xf32>) -> tensor<8x?xf32> {
  // expected-error @+1 {{for target 'small': a transpose that moves the batch axis (the program runs one image at a time; a model whose inputs share one static batch is one program for that batch and runs such ops: export it at a static batch, or pin a dynamic batch with --input-shape NAME=Nx...)}}
  %t = nn.transpose %x {perm = array<i64: 1, 0>} : (tensor<?x8xf32>) -> tensor<8x?xf32>
  return %t : tensor<8x?xf32>
}

// -----

// Inputs of different batches: no static batch, image by image.
func.func @main(%x: tensor<2x2x3x3xf32>, %z: tensor<1x4xf32>) -> (tensor<4x2x3x3xf32>, tensor<1x4xf32>) {
  // expected-error @+1 {{for target 'small': a resize of the batch axis (the program runs one image at a time;}}
  %0 = nn.resize %x {coordinate_transformation_mode = "half_pixel", cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, mode = "nearest", nearest_mode = "round_prefer_floor", roi = array<f64>, scales = array<f64: 2.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00>, sizes = array<i64: 4, 2, 3, 3>} : (tensor<2x2x3x3xf32>) -> tensor<4x2x3x3xf32>
  return %0, %z : tensor<4x2x3x3xf32>, tensor<1x4xf32>
}

// -----

func.func @main(%x: tensor<?x1xf32>) -> tensor<2x?x4xf32> {
  // expected-error @+1 {{for target 'small': an expand along the batch axis (the program runs one image at a time;}}
  %0 = nn.expand %x {shape = array<i64: 2, 1, 4>} : (tensor<?x1xf32>) -> tensor<2x?x4xf32>
  return %0 : tensor<2x?x4xf32>
}

// -----

// A constant concatenated to every image must be the same for all.
func.func @main(%x: tensor<?x3x4xf32>) -> tensor<2x5x4xf32> {
  %c = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]], [[5.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]]> : tensor<2x2x4xf32>
  // expected-error @+1 {{for target 'small': a constant operand along the batch axis whose images differ (the program runs one image at a time;}}
  %1 = nn.concat %c, %x {axis = 1 : i64} : (tensor<2x2x4xf32>, tensor<?x3x4xf32>) -> tensor<2x5x4xf32>
  return %1 : tensor<2x5x4xf32>
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
