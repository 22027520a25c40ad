// RUN: cmsis-opt %s --attach-target="core=cortex-m0" --bufferize | filecheck %s
// RUN: cmsis-opt --attach-target=core=cortex-m0 %s --bufferize | filecheck %s
// RUN: cmsis-opt %s -p 'attach-target{core=cortex-m0},bufferize' | filecheck %s
// RUN: cmsis-opt %s --pipeline 'attach-target{core=cortex-m0},bufferize' | filecheck %s
// Every pass is also a flag: `--PASS` or `--PASS="opt=value ..."`, placed
// before or after the file name, means the same as `-p 'PASS{opt=value}'`.

// CHECK: builtin.module attributes {cmsis.target = #cmsis.target<"cortex-m0", path = "c", cmsis_nn = "7.0.0">}
// CHECK: arena.buffer %x {name = "input", size = 16 : i64}
func.func @f(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>> {
  func.return %x : tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>
}
