func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = nn.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
