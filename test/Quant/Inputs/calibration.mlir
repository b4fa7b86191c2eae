func.func @main(%x: tensor<?x2x3xf32>) -> tensor<?x2x3xf32> {
  %0 = nn.relu %x : tensor<?x2x3xf32> loc("relu0")
  return %0 : tensor<?x2x3xf32>
}
