#loc = loc("gptq-layernorm.onnx":0:0)
module {
  func.func @main(%arg0: tensor<?x1x5x6xf32> {onnx.name = "input"} loc("gptq-layernorm.onnx":0:0)) -> (tensor<?x5x5x6xf32> {onnx.name = "/ops.1/q/Conv_output_0"}) {
    %cst = arith.constant dense_resource<ops.1.q.bias> : tensor<5xf32> loc(#loc1)
    %cst_0 = arith.constant dense_resource<ops.1.q.weight> : tensor<5x5x1x1xf32> loc(#loc1)
    %cst_1 = arith.constant dense_resource<_ops.0_Constant_1_output_0> : tensor<f32> loc(#loc2)
    %cst_2 = arith.constant dense_resource<_ops.0_Constant_output_0> : tensor<f32> loc(#loc3)
    %cst_3 = arith.constant dense_resource<stem.weight> : tensor<5x1x3x3xf32> loc(#loc4)
    %cst_4 = arith.constant dense_resource<stem.bias> : tensor<5xf32> loc(#loc4)
    %0 = nn.conv %arg0, %cst_3, %cst_4 {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x1x5x6xf32>, tensor<5x1x3x3xf32>, tensor<5xf32>) -> tensor<?x5x5x6xf32> loc(#loc4)
    %1 = nn.reduce_mean %0 {axes = array<i64: 1>, keepdims = true} : (tensor<?x5x5x6xf32>) -> tensor<?x1x5x6xf32> loc(#loc5)
    %2 = nn.sub %0, %1 : (tensor<?x5x5x6xf32>, tensor<?x1x5x6xf32>) -> tensor<?x5x5x6xf32> loc(#loc6)
    %3 = nn.pow %2, %cst_2 : (tensor<?x5x5x6xf32>, tensor<f32>) -> tensor<?x5x5x6xf32> loc(#loc3)
    %4 = nn.reduce_mean %3 {axes = array<i64: 1>, keepdims = true} : (tensor<?x5x5x6xf32>) -> tensor<?x1x5x6xf32> loc(#loc7)
    %5 = nn.add %4, %cst_1 : (tensor<?x1x5x6xf32>, tensor<f32>) -> tensor<?x1x5x6xf32> loc(#loc2)
    %6 = nn.sqrt %5 : tensor<?x1x5x6xf32> loc(#loc8)
    %7 = nn.div %2, %6 : (tensor<?x5x5x6xf32>, tensor<?x1x5x6xf32>) -> tensor<?x5x5x6xf32> loc(#loc9)
    %8 = nn.conv %7, %cst_0, %cst {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x5x5x6xf32>, tensor<5x5x1x1xf32>, tensor<5xf32>) -> tensor<?x5x5x6xf32> loc(#loc1)
    return %8 : tensor<?x5x5x6xf32> loc(#loc)
  } loc(#loc)
} loc(#loc)
#loc1 = loc("/ops.1/q/Conv"(#loc))
#loc2 = loc("/ops.0/Add"(#loc))
#loc3 = loc("/ops.0/Pow"(#loc))
#loc4 = loc("/stem/Conv"(#loc))
#loc5 = loc("/ops.0/ReduceMean"(#loc))
#loc6 = loc("/ops.0/Sub"(#loc))
#loc7 = loc("/ops.0/ReduceMean_1"(#loc))
#loc8 = loc("/ops.0/Sqrt"(#loc))
#loc9 = loc("/ops.0/Div"(#loc))

{-#
  dialect_resources: {
    builtin: {
      ops.1.q.bias: "0x04000000DCA4F73DD4FEC23EE69AA63D6D943A3D345870BD",
      ops.1.q.weight: "0x0400000017F6A9BE1275C93E076C353E84901E3D4516B3BE711CDE3E7891DDBE28C498BC2497BCBED361BDBE9ADDEA3DADB69A3ED71A243E6418D83E7E9D13BDA739A6BEED9FD23D72531FBDCC0F773D76842ABD6CFFCEBEF25823BE9F46D83E8C61853EF68CBE3E",
      _ops.0_Constant_1_output_0: "0x04000000ACC52737",
      _ops.0_Constant_output_0: "0x0400000000000040",
      stem.weight: "0x040000001F39803E389A1BBECBAF6ABDE60D433E5B1B84BEEBA7583D802CCA3D92D8A2BE2BB56E3D3069EEBDFE17993ED60E6F3C0414813EB8DF193EC6B7033E4AD5A1BE0670933EF2818BBE2E9A143E5E0D1B3E567F0EBB8307933EF0A9B4BDC07749BE8BCBE03DF60898BDF3D18FBECB9572BE7BDB59BEC08CC43DA0A96EBE98AC1B3EB2FF833E687D0ABE660C413E56C4E43BC892593E16282CBD8E2655BE4B0B813EBBE551BEF08D9E3DE085423E081377BEDE249BBE",
      stem.bias: "0x0400000028BD3E3E56AAA8BEE3C37EBE10F4133EB6DDE4BD"
    }
  }
#-}
