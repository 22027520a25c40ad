// RUN: cmsis-opt %s --verify-diagnostics --arena-alloc=strategy=random | filecheck %s --check-prefix=STRATEGY
// RUN: cmsis-opt %s --verify-diagnostics --arena-alloc=alignment=0 | filecheck %s --check-prefix=ALIGN
// RUN: cmsis-opt %s --verify-diagnostics --arena-alloc=max-size=-1 | filecheck %s --check-prefix=MAX
// An input that is also the output: one buffer, the whole (one-step) life of the graph.

func.func @identity(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>> {
  func.return %x : tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
}
// STRATEGY: error: arena-alloc: unknown strategy 'random' (known: auto, naive, greedy-by-size, best-fit, optimal)
// ALIGN: error: arena-alloc: alignment must be a positive number of bytes, got 0
// MAX: error: arena-alloc: max-size must be >= 0 (0: no limit), got -1
