// RUN: cmsis-opt %s --bufferize="target=cortex-m0" | filecheck %s
// RUN: cmsis-opt --bufferize=target=cortex-m0 %s | filecheck %s
// RUN: cmsis-opt %s -p 'bufferize{target=cortex-m0}' | filecheck %s
// Every pass is also a flag: `--PASS` or `--PASS="opt=value ..."`, placed
// before or after the file name, means the same as `-p 'PASS{opt=value}'`.

// CHECK: func.func @f({{.*}} attributes {arena.target = "cortex-m0"}
// CHECK: arena.buffer %x {name = "input", size = 16 : i64}
func.func @f(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>> {
  func.return %x : tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>
}
