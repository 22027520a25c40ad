// RUN: not cmsis-opt %s --arena-alloc=strategy=optimial 2>&1 | filecheck %s --check-prefix=STRATEGY
// RUN: not cmsis-opt %s --arena-alloc=alignment=0 2>&1 | filecheck %s --check-prefix=ALIGN
// RUN: not cmsis-opt %s --arena-alloc=max-size=-1 2>&1 | filecheck %s --check-prefix=MAX
// RUN: not cmsis-opt %s --arena-alloc=strategie=optimal 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not cmsis-opt %s --arena-alloc=alignment=four 2>&1 | filecheck %s --check-prefix=TYPE
// Bad options are usage errors (exit status 2): one line naming the option in kebab case, what it takes,
// and the closest match.
// An input that is also the output: one buffer, the whole (one-step) life of the graph.

func.func @identity(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>> {
  func.return %x : tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
}
// STRATEGY: error: pass 'arena-alloc': option 'strategy' must be one of auto, naive, greedy-by-size, best-fit, optimal; got 'optimial' (did you mean 'optimal'?)
// ALIGN: error: pass 'arena-alloc': option 'alignment' must be a power of two, got 0
// MAX: error: pass 'arena-alloc': option 'max-size' must be >= 0 (0: no limit), got -1
// OPTION: error: pass 'arena-alloc': no option 'strategie' (did you mean 'strategy'?); its options: strategy, alignment, max-size, search-nodes, time-limit
// TYPE: error: pass 'arena-alloc': option 'alignment' takes an integer; got 'four'
